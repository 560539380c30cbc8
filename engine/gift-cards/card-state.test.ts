import { describe, expect, it } from 'vitest';
import { assertCovers, assertPayable, planRefund, statusAt } from './card-state';

const card = {
  status: 'active' as const,
  activatedAt: new Date('2026-01-01T10:00:00Z'),
  expiresAt: new Date('2026-02-01T10:00:00Z'),
};

describe('gift card state', () => {
  it('is expired from its expiry on and inactive before its activation', () => {
    expect(statusAt(card, new Date('2026-01-15T00:00:00Z'))).toBe('active');
    expect(statusAt(card, new Date('2026-02-01T10:00:00Z'))).toBe('expired');
    expect(statusAt(card, new Date('2026-01-01T09:59:59Z'))).toBe('inactive');
    expect(statusAt({ ...card, status: 'blocked' }, new Date('2026-01-15T00:00:00Z'))).toBe('blocked');
  });

  it('refuses payment by an unusable card and above the balance', () => {
    expect(() => assertPayable(card, new Date('2026-03-01T00:00:00Z'))).toThrow(
      expect.objectContaining({ code: 'gift_card_expired', status: 422, field: 'number' }),
    );
    expect(() => assertPayable({ ...card, status: 'inactive' }, new Date('2026-01-15T00:00:00Z'))).toThrow(
      expect.objectContaining({ code: 'gift_card_inactive' }),
    );
    expect(() => assertCovers(100, 101)).toThrow(
      expect.objectContaining({ code: 'gift_card_insufficient', status: 409, field: 'amount' }),
    );
    expect(() => assertCovers(100, 100)).not.toThrow();
  });

  it('refunds what is left of each spend, or an amount of one spend', () => {
    const spends = [
      { id: 1, amount: 500, refunded: 200 },
      { id: 2, amount: 300, refunded: 300 },
    ];
    expect(planRefund(spends, undefined)).toEqual([{ spendId: 1, amount: 300 }]);
    expect(() => planRefund(spends, 100)).toThrow(expect.objectContaining({ field: 'number' }));
    expect(planRefund([spends[0]!], 300)).toEqual([{ spendId: 1, amount: 300 }]);
    expect(() => planRefund([spends[0]!], 301)).toThrow(
      expect.objectContaining({ code: 'gift_card_refund_exceeds_spend', status: 409 }),
    );
  });
});
