import { describe, expect, it } from 'vitest';
import { formatMoney, receiptText } from './receipt-text';

const result = {
  discount: 15_050,
  totalPoints: 125,
  redemption: {
    mode: 'discount' as const,
    capRuleId: null,
    eligibleAmount: 0,
    maxAmount: 0,
    maxPoints: 0,
    spentPoints: 300,
    spentAmount: 30_000,
  },
  messages: [{ ruleId: 'r', text: 'Спасибо за покупку!' }],
};

describe('receipt text', () => {
  it('prints discount, points spent and earned, balance, coupons and messages in Russian', () => {
    expect(
      receiptText({
        language: 'ru',
        result,
        balance: 1_825,
        coupons: [{ code: 'AB12-CD34', expiresAt: '2026-12-31T20:59:59Z' }],
      }),
    ).toEqual([
      'Скидка по акциям: 150.50',
      'Оплачено баллами: 300 (300.00)',
      'Начислено баллов: 125',
      'Баланс баллов: 1825',
      'Ваш купон: AB12-CD34 (до 2026-12-31)',
      'Спасибо за покупку!',
    ]);
  });

  it('in English, without a balance for an anonymous check', () => {
    const lines = receiptText({
      language: 'en',
      result: { ...result, messages: [] },
      balance: null,
      coupons: [],
    });
    expect(lines).toEqual([
      'Promotional discount: 150.50',
      'Paid with points: 300 (300.00)',
      'Points earned: 125',
    ]);
    expect(formatMoney(-5)).toBe('-0.05');
    expect(formatMoney(700, 0)).toBe('700');
  });
});
