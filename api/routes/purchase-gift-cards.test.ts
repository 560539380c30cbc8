import { describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../test/support/ledger-invariants';
import { anna, milk, usePurchaseProgram } from '../../test/support/purchase-program';

const { api, backOffice, nextRef, later, confirm } = usePurchaseProgram('purchase-gift-cards');

/** An e-certificate type of 10.00 … 10 000.00 valid 180 days, numbered from `prefix`; answers its id. */
async function certificateType(code: string, prefix: string): Promise<number> {
  const type = await backOffice('/v1/gift-card-types', {
    code,
    name: 'E-certificate',
    kind: 'electronic',
    minAmount: 1_000,
    maxAmount: 1_000_000,
    validityDays: 180,
    numbers: { prefix, length: 16, luhn: true },
  });
  expect(type.statusCode, type.body).toBe(201);
  return type.json().id;
}

/** Sells an e-certificate of `amount`; answers its number and PIN. */
async function sell(typeId: number, amount: number, saleReference: string) {
  const sold = await api.call('/v1/gift-cards/activate', {
    typeId,
    amount,
    saleReference,
    occurredAt: later(),
  });
  expect(sold.statusCode, sold.body).toBe(200);
  return { number: sold.json().number as string, pin: sold.json().pin as string };
}

/** The card as the till sees it the next day, by number and PIN. */
const lookUp = (card: { number: string; pin: string }) =>
  api.app.inject({
    method: 'GET',
    url: `/v1/gift-cards/${card.number}?at=2026-11-26T00:00:00Z`,
    headers: { authorization: `Bearer ${api.demo.tillApiKey}`, 'x-gift-card-pin': card.pin },
  });

describe('gift cards at the till', () => {
  it('takes part of the payment from a gift card and gives it back on cancel', async () => {
    const type = await certificateType('e-cert', '778');
    const giftCard = await sell(type, 20_000, 'cert-for-purchases');
    // A wrong PIN refuses the whole confirm, and counts towards the card's lock all the same.
    const wrongPin = giftCard.pin === '00000000' ? '11111111' : '00000000';
    const guessed = await confirm(undefined, {
      payments: [
        { type: 'giftCard', amount: 20_000, giftCard: { ...giftCard, pin: wrongPin } },
        { type: 'cash', amount: 10_000 },
      ],
    });
    expect(guessed.json().error).toMatchObject({
      code: 'gift_card_pin_invalid',
      field: 'payments.0.giftCard.pin',
    });
    const failures = async () =>
      (
        await api.t.db
          .selectFrom('gift_card_pin_attempts as a')
          .innerJoin('gift_cards as g', 'g.id', 'a.card_id')
          .select('a.failures')
          .where('g.number', '=', giftCard.number)
          .executeTakeFirstOrThrow()
      ).failures;
    expect(await failures()).toBe(1);
    // So does one in a check sent offline: that check is reported refused, the miss counted.
    const synced = await api.call('/v1/purchases/sync', {
      checks: [
        {
          idempotencyKey: 'offline-guessed-pin',
          check: {
            externalRef: nextRef(),
            occurredAt: later(),
            lines: [milk],
            payments: [{ type: 'giftCard', amount: 1_000, giftCard: { ...giftCard, pin: wrongPin } }],
          },
        },
      ],
    });
    expect(synced.json().results[0]).toMatchObject({
      status: 'rejected',
      error: { code: 'gift_card_pin_invalid' },
    });
    expect(await failures()).toBe(2);
    const paid = await confirm(undefined, {
      payments: [
        { type: 'giftCard', amount: 20_000, giftCard },
        { type: 'cash', amount: 10_000 },
      ],
    });
    expect(paid.statusCode, paid.body).toBe(201);
    const cardBalance = async () => (await lookUp(giftCard)).json().balance;
    expect(await cardBalance()).toBe(0);
    const empty = await confirm(undefined, { payments: [{ type: 'giftCard', amount: 30_000, giftCard }] });
    expect(empty.statusCode).toBe(409);
    expect(empty.json().error.code).toBe('gift_card_insufficient');
    const cancel = await api.call('/v1/purchases/cancel', {
      purchaseId: paid.json().purchaseId,
      occurredAt: later(),
    });
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect(await cardBalance()).toBe(20_000);

    // Sold as a purchase line: outside promotions, activated at confirm, taken back with its line.
    const sale = await confirm(anna, {
      lines: [milk, { sku: 'GIFT', unitPrice: 50_000, quantity: 1, giftCard: { typeId: type } }],
    });
    expect(sale.statusCode, sale.body).toBe(201);
    const [cert] = sale.json().soldGiftCards;
    expect(cert).toMatchObject({ line: 1, number: expect.any(String), pin: expect.any(String) });
    expect(sale.json().result.lines[1]).toMatchObject({ discount: 0, finalAmount: 50_000 });
    expect(sale.json().result.lines[1].units[0].points).toEqual([]);
    const back = await api.call('/v1/purchases/returns', {
      purchaseId: sale.json().purchaseId,
      returnRef: 'gift-back',
      occurredAt: later(),
      items: [{ line: 1, quantity: 1 }],
    });
    expect(back.statusCode, back.body).toBe(201);
    expect(back.json().refund).toBe(50_000);
    const taken = await lookUp(cert);
    expect(taken.json()).toMatchObject({ status: 'blocked', balance: 0 });
    expect(await ledgerViolations(api.t.db)).toEqual([]);
  });

  it('a cancel after a partial return gives back to the gift card only what is left', async () => {
    const giftCard = await sell(await certificateType('e-cert-2', '776'), 40_000, 'cert-for-refunds');
    const paid = await confirm(undefined, { payments: [{ type: 'giftCard', amount: 30_000, giftCard }] });
    expect(paid.statusCode, paid.body).toBe(201);
    const purchaseId = paid.json().purchaseId;
    const ret = await api.call('/v1/purchases/returns', {
      purchaseId,
      returnRef: 'part',
      occurredAt: later(),
      items: [{ line: 0, quantity: 1 }],
    });
    expect(ret.json().refund).toBe(10_000);
    const cancel = await api.call('/v1/purchases/cancel', { purchaseId, occurredAt: later() });
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect(cancel.json().refund).toBe(0);
    const card = await lookUp(giftCard);
    // 30.00 of 40.00 spent; 10.00 came back in cash with the return, 20.00 to the card with the cancel.
    expect(card.json().balance).toBe(30_000);
    expect(await ledgerViolations(api.t.db)).toEqual([]);
  });
});
