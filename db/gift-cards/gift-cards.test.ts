import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DomainError } from '../../engine/errors';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { rejection } from '../../test/support/rejection';
import { ledgerViolations } from '../../test/support/ledger-invariants';
import { seedTestProgram } from '../../test/support/program';
import type { Trx } from '../ledger/store';
import { activateGiftCard, type ActivateGiftCardInput } from './activate';
import { giftCardBalance } from './balance';
import { blockGiftCard, unblockGiftCard } from './block';
import { expireGiftCards } from './expire';
import { refundGiftCardSpend, type RefundGiftCardSpendInput } from './refund';
import { spendGiftCard, type SpendGiftCardInput } from './spend';
import { createGiftCardType, issueGiftCardBatch } from './types';

let t: TestDatabase;
let programId: number;
let plasticTypeId: number;
let electronicTypeId: number;
let stock: string[] = [];
const actor = 'test';
const day = 86_400_000;
const soldAt = new Date('2026-05-10T12:00:00+03:00');
const later = (ms: number) => new Date(soldAt.getTime() + ms);

const inTrx = <T>(run: (trx: Trx) => Promise<T>) => t.db.transaction().execute(run);
const activate = (input: Omit<ActivateGiftCardInput, 'programId' | 'actor' | 'at'> & { at?: Date }) =>
  inTrx((trx) => activateGiftCard(trx, { programId, actor, at: soldAt, ...input }));
const spend = (input: Omit<SpendGiftCardInput, 'programId' | 'actor' | 'at'> & { at?: Date }) =>
  inTrx((trx) => spendGiftCard(trx, { programId, actor, at: later(3600_000), ...input }));
const refund = (input: Omit<RefundGiftCardSpendInput, 'programId' | 'actor' | 'at'> & { at?: Date }) =>
  inTrx((trx) => refundGiftCardSpend(trx, { programId, actor, at: later(7200_000), ...input }));
const balance = (number: string, at = later(3600_000), pin?: string) =>
  giftCardBalance(t.db, { programId, number, pin, at, now: new Date() });
const entries = async () =>
  Number(
    (
      await t.db
        .selectFrom('journal_entries')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

beforeAll(async () => {
  t = await createTestDatabase();
  ({ programId } = await seedTestProgram(t.db));
  const plastic = await inTrx((trx) =>
    createGiftCardType(trx, {
      programId,
      actor,
      code: 'plastic',
      name: 'Gift card',
      kind: 'plastic',
      nominals: [100_000, 50_000],
      validityDays: 30,
      numbers: { prefix: '779', length: 16, luhn: true },
    }),
  );
  plasticTypeId = plastic.id;
  expect(plastic).toMatchObject({ currency: 'RUB', nominals: [50_000, 100_000] });
  electronicTypeId = (
    await inTrx((trx) =>
      createGiftCardType(trx, {
        programId,
        actor,
        code: 'e-cert',
        name: 'E-certificate',
        kind: 'electronic',
        minAmount: 1_000,
        maxAmount: 500_000,
        validityDays: 365,
        numbers: { prefix: '778', length: 16, luhn: true },
      }),
    )
  ).id;
  stock = (
    await inTrx((trx) => issueGiftCardBatch(trx, { programId, actor, typeId: plasticTypeId, count: 8 }))
  ).numbers;
});
afterAll(async () => {
  expect(await ledgerViolations(t.db)).toEqual([]);
  await t.drop();
});

describe('types and batches', () => {
  it('prints inactive plastic cards with distinct numbers; e-certificates come in no batch', async () => {
    expect(new Set(stock).size).toBe(8);
    expect(stock.every((n) => /^779\d{13}$/.test(n))).toBe(true);
    expect((await balance(stock[7]!)).status).toBe('inactive');
    const electronic = await rejection(
      inTrx((trx) => issueGiftCardBatch(trx, { programId, actor, typeId: electronicTypeId, count: 1 })),
    );
    expect(electronic).toMatchObject({ code: 'gift_card_type_electronic', field: 'typeId' });
    const twice = await rejection(
      inTrx((trx) =>
        createGiftCardType(trx, {
          programId,
          actor,
          code: 'plastic',
          name: 'x',
          kind: 'plastic',
          nominals: [1],
          validityDays: 1,
          numbers: { prefix: '1', length: 16, luhn: true },
        }),
      ),
    );
    expect(twice).toMatchObject({ code: 'gift_card_type_exists', status: 409, field: 'code' });
  });
});

describe('activation', () => {
  it('sells a plastic card once per sale reference, for a nominal of its type', async () => {
    const before = await entries();
    const wrong = await rejection(activate({ number: stock[0]!, amount: 70_000, saleReference: 'sale-1:1' }));
    expect(wrong).toMatchObject({ code: 'gift_card_nominal_invalid', field: 'amount' });
    const card = await activate({ number: stock[0]!, amount: 100_000, saleReference: 'sale-1:1' });
    expect(card).toMatchObject({ status: 'active', balance: 100_000, available: 100_000, currency: 'RUB' });
    expect(card.expiresAt).toBe(later(30 * day).toISOString());
    expect(card.pin).toBeUndefined();
    const again = await activate({ number: stock[0]!, amount: 100_000, saleReference: 'sale-1:1' });
    expect(again.entryId).toBe(card.entryId);
    expect(await entries()).toBe(before + 1);
    const resold = await rejection(
      activate({ number: stock[0]!, amount: 100_000, saleReference: 'sale-2:1' }),
    );
    expect(resold).toMatchObject({ code: 'gift_card_already_active', status: 409, field: 'number' });
    const otherCard = await rejection(
      activate({ number: stock[1]!, amount: 100_000, saleReference: 'sale-1:1' }),
    );
    expect(otherCard).toMatchObject({ code: 'gift_card_sale_reference_conflict', field: 'saleReference' });
    const unknown = await rejection(
      activate({ number: '7790000000000000', amount: 50_000, saleReference: 's' }),
    );
    expect(unknown).toMatchObject({ code: 'gift_card_not_found', status: 404, field: 'number' });
  });
});

describe('concurrent activation', () => {
  it('sells one e-certificate when two calls race with one sale reference', async () => {
    const before = await entries();
    const [a, b] = await Promise.all(
      [1, 2].map(() => activate({ typeId: electronicTypeId, amount: 3_000, saleReference: 'race-sale' })),
    );
    expect(a!.number).toBe(b!.number);
    expect(a!.entryId).toBe(b!.entryId);
    expect(await entries()).toBe(before + 1);
    const zero = await rejection(activate({ typeId: electronicTypeId, amount: 0, saleReference: 'zero' }));
    expect(zero).toMatchObject({ code: 'invalid_amount', field: 'amount' });
    const half = await rejection(spend({ number: a!.number, pin: a!.pin, amount: 0.5, holder: 'half' }));
    expect(half).toMatchObject({ code: 'invalid_amount', field: 'amount' });
  });
});

describe('spending', () => {
  it('spends partially until exhausted, once per holder', async () => {
    await activate({ number: stock[1]!, amount: 100_000, saleReference: 'sale-3:1' });
    expect((await spend({ number: stock[1]!, amount: 30_000, holder: 'purchase-1' })).balance).toBe(70_000);
    const first = await spend({ number: stock[1]!, amount: 50_000, holder: 'purchase-2' });
    expect(first.balance).toBe(20_000);
    const before = await entries();
    const repeat = await spend({ number: stock[1]!, amount: 50_000, holder: 'purchase-2' });
    expect(repeat).toEqual(first);
    expect(await entries()).toBe(before);
    const conflict = await rejection(spend({ number: stock[1]!, amount: 10_000, holder: 'purchase-2' }));
    expect(conflict).toMatchObject({ code: 'gift_card_spend_conflict', field: 'holder' });
    const tooMuch = await rejection(spend({ number: stock[1]!, amount: 20_001, holder: 'purchase-3' }));
    expect(tooMuch).toMatchObject({ code: 'gift_card_insufficient', status: 409, field: 'amount' });
    expect((await spend({ number: stock[1]!, amount: 20_000, holder: 'purchase-3' })).balance).toBe(0);
    expect(await balance(stock[1]!)).toMatchObject({ balance: 0, available: 0, status: 'active' });
  });

  it('never goes below zero under concurrent spends on one card', async () => {
    await activate({ number: stock[2]!, amount: 50_000, saleReference: 'sale-4:1' });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => spend({ number: stock[2]!, amount: 7_000, holder: `race-${i}` })),
    );
    const done = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(done).toHaveLength(7);
    for (const r of refused) expect((r.reason as DomainError).code).toBe('gift_card_insufficient');
    expect((await balance(stock[2]!)).balance).toBe(1_000);
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('refuses cards not sold, blocked, or used before their sale', async () => {
    const inactive = await rejection(spend({ number: stock[7]!, amount: 1, holder: 'p' }));
    expect(inactive).toMatchObject({ code: 'gift_card_inactive', status: 422, field: 'number' });
    await activate({ number: stock[3]!, amount: 50_000, saleReference: 'sale-5:1' });
    const early = await rejection(spend({ number: stock[3]!, amount: 1, holder: 'p', at: later(-1) }));
    expect(early.code).toBe('gift_card_inactive');
    const change = { programId, actor, number: stock[3]!, reason: 'reported stolen', at: later(day) };
    expect((await inTrx((trx) => blockGiftCard(trx, change))).status).toBe('blocked');
    const blocked = await rejection(spend({ number: stock[3]!, amount: 1, holder: 'p' }));
    expect(blocked).toMatchObject({ code: 'gift_card_blocked', field: 'number' });
    const twice = await rejection(inTrx((trx) => blockGiftCard(trx, change)));
    expect(twice.code).toBe('gift_card_blocked');
    expect((await inTrx((trx) => unblockGiftCard(trx, change))).status).toBe('active');
    expect((await spend({ number: stock[3]!, amount: 1, holder: 'p' })).balance).toBe(49_999);
  });
});

describe('e-certificates', () => {
  it('get a number and PIN when sold, and pay and show their balance only with the PIN', async () => {
    const cert = await activate({ typeId: electronicTypeId, amount: 2_500, saleReference: 'web-1:1' });
    expect(cert.number).toMatch(/^778\d{13}$/);
    expect(cert.pin).toMatch(/^\d{8}$/);
    expect((await activate({ typeId: electronicTypeId, amount: 2_500, saleReference: 'web-1:1' })).pin).toBe(
      cert.pin,
    );
    const range = await rejection(
      activate({ typeId: electronicTypeId, amount: 999, saleReference: 'web-2:1' }),
    );
    expect(range).toMatchObject({ code: 'gift_card_amount_out_of_range', field: 'amount' });
    const plastic = await rejection(
      activate({ typeId: plasticTypeId, amount: 50_000, saleReference: 'web-3:1' }),
    );
    expect(plastic).toMatchObject({ code: 'gift_card_type_plastic', field: 'typeId' });
    const noPin = await rejection(spend({ number: cert.number, amount: 100, holder: 'order-1' }));
    expect(noPin).toMatchObject({ code: 'gift_card_pin_required', field: 'pin' });
    const wrongPin = cert.pin === '00000000' ? '11111111' : '00000000';
    const wrong = await rejection(
      spend({ number: cert.number, amount: 100, holder: 'order-1', pin: wrongPin }),
    );
    expect(wrong).toMatchObject({ code: 'gift_card_pin_invalid', status: 422, field: 'pin' });
    expect((await rejection(balance(cert.number, undefined, wrongPin))).code).toBe('gift_card_pin_invalid');
    const paid = await spend({ number: cert.number, amount: 100, holder: 'order-1', pin: cert.pin });
    expect(paid.balance).toBe(2_400);
    expect((await balance(cert.number, undefined, cert.pin)).balance).toBe(2_400);
  });
});

describe('refunds', () => {
  it('gives back part of a spend and then the rest, once per reference', async () => {
    await activate({ number: stock[4]!, amount: 50_000, saleReference: 'sale-6:1' });
    await spend({ number: stock[4]!, amount: 40_000, holder: 'purchase-9' });
    const part = await refund({ holder: 'purchase-9', amount: 10_000, reference: 'return-1' });
    expect(part).toMatchObject({
      amount: 10_000,
      items: [{ number: stock[4], amount: 10_000, balance: 20_000 }],
    });
    expect(await refund({ holder: 'purchase-9', amount: 10_000, reference: 'return-1' })).toEqual(part);
    const conflict = await rejection(refund({ holder: 'purchase-9', amount: 5_000, reference: 'return-1' }));
    expect(conflict).toMatchObject({ code: 'gift_card_refund_conflict', field: 'reference' });
    const tooMuch = await rejection(refund({ holder: 'purchase-9', amount: 30_001, reference: 'return-2' }));
    expect(tooMuch).toMatchObject({ code: 'gift_card_refund_exceeds_spend', field: 'amount' });
    const rest = await refund({ holder: 'purchase-9' });
    expect(rest).toMatchObject({ amount: 30_000, items: [{ balance: 50_000 }] });
    expect(await refund({ holder: 'purchase-9' })).toEqual(rest);
    const nothing = await rejection(refund({ holder: 'purchase-9', reference: 'cancel-2' }));
    expect(nothing.code).toBe('gift_card_already_refunded');
    const unknown = await rejection(refund({ holder: 'purchase-404' }));
    expect(unknown).toMatchObject({ code: 'gift_card_spend_not_found', status: 404, field: 'holder' });
  });

  it('needs the number for a partial refund of a holder who paid with two cards', async () => {
    await activate({ number: stock[5]!, amount: 50_000, saleReference: 'sale-7:1' });
    await spend({ number: stock[4]!, amount: 1_000, holder: 'purchase-10' });
    await spend({ number: stock[5]!, amount: 2_000, holder: 'purchase-10' });
    const ambiguous = await rejection(refund({ holder: 'purchase-10', amount: 500 }));
    expect(ambiguous).toMatchObject({ code: 'gift_card_refund_ambiguous', field: 'number' });
    const one = await refund({ holder: 'purchase-10', amount: 500, number: stock[5]! });
    expect(one.items).toEqual([expect.objectContaining({ number: stock[5], balance: 48_500 })]);
    const all = await refund({ holder: 'purchase-10', reference: 'cancel' });
    expect(all.amount).toBe(2_500);
    expect(all.items.map((i) => i.amount).sort()).toEqual([1_000, 1_500]);
  });
});

describe('expiry', () => {
  it('refuses payment from the expiry on and forfeits the balance once, refunds included', async () => {
    await activate({ number: stock[6]!, amount: 50_000, saleReference: 'sale-8:1' });
    await spend({ number: stock[6]!, amount: 5_000, holder: 'last-day', at: later(30 * day - 1) });
    const expired = await rejection(
      spend({ number: stock[6]!, amount: 1, holder: 'too-late', at: later(30 * day) }),
    );
    expect(expired).toMatchObject({ code: 'gift_card_expired', status: 422, field: 'number' });
    expect(await balance(stock[6]!, later(30 * day))).toMatchObject({
      status: 'expired',
      balance: 45_000,
      available: 0,
    });
    const run = await expireGiftCards(t.db, later(31 * day));
    expect(run.cards).toBeGreaterThanOrEqual(7);
    expect(await balance(stock[6]!, later(31 * day))).toMatchObject({ status: 'expired', balance: 0 });
    expect(await expireGiftCards(t.db, later(31 * day))).toEqual({ cards: 0, forfeited: 0 });
    const back = await refund({ holder: 'last-day', at: later(32 * day) });
    expect(back.items[0]!.balance).toBe(5_000);
    expect(await expireGiftCards(t.db, later(33 * day))).toEqual({ cards: 1, forfeited: 5_000 });
    const breakage = await t.db
      .selectFrom('journal_lines as l')
      .innerJoin('accounts as a', 'a.id', 'l.account_id')
      .where('a.role', '=', 'gift_card_expiry')
      .select((eb) => eb.fn.sum<number>('l.amount').as('sum'))
      .executeTakeFirstOrThrow();
    expect(Number(breakage.sum)).toBe(run.forfeited + 5_000);
  });
});
