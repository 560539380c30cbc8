import { describe, expect, it } from 'vitest';
import { useApiFixture } from '../../test/support/api-fixture';
import { apiGet } from '../../test/support/api-requests';
import { ledgerViolations } from '../../test/support/ledger-invariants';

const api = useApiFixture('gift-cards');
const manage = (url: string, payload: object, key?: string) =>
  api.call(url, payload, { token: api.demo.backOfficeApiKey, key });
const till = (url: string, payload: object, key?: string) =>
  api.call(url, payload, { token: api.demo.tillApiKey, key });
const balance = (number: string, pin?: string, at?: string) =>
  api.app.inject({
    method: 'GET',
    url: `/v1/gift-cards/${number}${at ? `?at=${encodeURIComponent(at)}` : ''}`,
    headers: {
      authorization: `Bearer ${api.demo.tillApiKey}`,
      ...(pin === undefined ? {} : { 'x-gift-card-pin': pin }),
    },
  });

const occurredAt = '2026-05-10T12:00:00+03:00';
/** Sells an e-certificate of 50.00 at the till; the answer carries its number and PIN. */
const sellCertificate = (saleReference: string) =>
  till('/v1/gift-cards/activate', { typeId: electronicTypeId, amount: 5_000, saleReference, occurredAt });
const numbers = { prefix: '779', length: 16, luhn: true };
const plasticBody = {
  code: 'plastic-1000',
  name: 'Gift card 1000',
  kind: 'plastic',
  nominals: [100_000],
  validityDays: 365,
  numbers,
};
let plasticTypeId = 0;
let electronicTypeId = 0;
let stock: string[] = [];

describe('gift card types and batches', () => {
  it('creates types in the back office only, naming the bad field', async () => {
    const plastic = await manage('/v1/gift-card-types', plasticBody);
    expect(plastic.statusCode).toBe(201);
    expect(plastic.json()).toMatchObject({ currency: 'RUB', nominals: [100_000], validityDays: 365 });
    plasticTypeId = plastic.json().id;
    const electronic = await manage('/v1/gift-card-types', {
      code: 'e-cert',
      name: 'E-certificate',
      kind: 'electronic',
      minAmount: 1_000,
      maxAmount: 1_000_000,
      validityDays: 180,
      numbers: { ...numbers, prefix: '778' },
    });
    electronicTypeId = electronic.json().id;
    const bad = await manage('/v1/gift-card-types', {
      code: 'open',
      name: 'Open',
      kind: 'plastic',
      minAmount: 5_000,
      validityDays: 10,
      numbers,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.field).toBe('body.maxAmount');
    const fromTill = await till('/v1/gift-card-types', { ...plasticBody, code: 'x' });
    expect(fromTill.statusCode).toBe(403);
    const list = await apiGet(api, '/v1/gift-card-types');
    expect(list.json().items.map((t: { code: string }) => t.code)).toEqual(['plastic-1000', 'e-cert']);
  });

  it('issues a batch of plastic cards to print', async () => {
    const batch = await manage('/v1/gift-cards/batches', { typeId: plasticTypeId, count: 5 });
    expect(batch.statusCode).toBe(201);
    stock = batch.json().numbers;
    expect(stock).toHaveLength(5);
    const unknown = await manage('/v1/gift-cards/batches', { typeId: 999_999, count: 1 });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.field).toBe('typeId');
    const tooMany = await manage('/v1/gift-cards/batches', { typeId: plasticTypeId, count: 10_001 });
    expect(tooMany.json().error.field).toBe('body.count');
  });
});

describe('at the till', () => {
  it('activates a plastic card once per Idempotency-Key and sale reference', async () => {
    const body = { number: stock[0], amount: 100_000, saleReference: 'check-1:line-3', occurredAt };
    const sold = await till('/v1/gift-cards/activate', body, 'gift-card-activate-0001');
    expect(sold.statusCode).toBe(200);
    expect(sold.json()).toMatchObject({ number: stock[0], status: 'active', balance: 100_000 });
    const replay = await till('/v1/gift-cards/activate', body, 'gift-card-activate-0001');
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(sold.json());
    const otherBody = await till(
      '/v1/gift-cards/activate',
      { ...body, amount: 50_000 },
      'gift-card-activate-0001',
    );
    expect(otherBody.json().error.code).toBe('idempotency_conflict');
    const newKey = await till('/v1/gift-cards/activate', body);
    expect(newKey.json().entryId).toBe(sold.json().entryId);
    const both = await till('/v1/gift-cards/activate', { ...body, typeId: electronicTypeId });
    expect(both.statusCode).toBe(400);
    expect(both.json().error.field).toBe('body.number');
    const nominal = await till('/v1/gift-cards/activate', {
      ...body,
      number: stock[1],
      amount: 1,
      saleReference: 'c2',
    });
    expect(nominal.statusCode).toBe(422);
    expect(nominal.json().error).toMatchObject({ code: 'gift_card_nominal_invalid', field: 'amount' });
  });

  it('spends partially, concurrently never below zero, and refunds', async () => {
    const spends = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        till('/v1/gift-cards/spend', {
          number: stock[0],
          amount: 20_000,
          holder: `purchase-${i}`,
          occurredAt,
        }),
      ),
    );
    expect(spends.filter((r) => r.statusCode === 200)).toHaveLength(5);
    const refused = spends.find((r) => r.statusCode !== 200)!;
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({ code: 'gift_card_insufficient', field: 'amount' });
    expect((await balance(stock[0]!)).json()).toMatchObject({ balance: 0, available: 0 });
    const refund = await till('/v1/gift-cards/refund', { holder: 'purchase-0', occurredAt });
    expect(refund.json()).toMatchObject({ amount: 20_000, items: [{ number: stock[0], balance: 20_000 }] });
    const none = await till('/v1/gift-cards/refund', { holder: 'no-such-purchase', occurredAt });
    expect(none.statusCode).toBe(404);
    expect(none.json().error.field).toBe('holder');
    expect(await ledgerViolations(api.t.db)).toEqual([]);
  });

  it('sells an e-certificate whose balance and payments need its PIN', async () => {
    const cert = await sellCertificate('web-order-7');
    expect(cert.statusCode).toBe(200);
    const { number, pin } = cert.json();
    expect(pin).toMatch(/^\d{8}$/);
    const wrongPin = pin === '00000000' ? '11111111' : '00000000';
    expect((await balance(number)).json().error).toMatchObject({
      code: 'gift_card_pin_required',
      field: 'pin',
    });
    const wrong = await balance(number, wrongPin);
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json().error).toMatchObject({ code: 'gift_card_pin_invalid', field: 'pin' });
    const shown = await balance(number, pin, '2026-05-11T00:00:00+03:00');
    expect(shown.json()).toMatchObject({ kind: 'electronic', status: 'active', balance: 5_000 });
    const pay = { number, amount: 1_500, holder: 'web-order-8', occurredAt };
    const noPin = await till('/v1/gift-cards/spend', pay);
    expect(noPin.json().error.field).toBe('pin');
    const paid = await till('/v1/gift-cards/spend', { ...pay, pin });
    expect(paid.json()).toMatchObject({ amount: 1_500, balance: 3_500, currency: 'RUB' });
    const late = await till('/v1/gift-cards/spend', {
      ...pay,
      pin,
      holder: 'web-order-9',
      occurredAt: '2027-01-01T00:00:00+03:00',
    });
    expect(late.json().error).toMatchObject({ code: 'gift_card_expired', field: 'number' });
  });

  it('locks an e-certificate for half an hour after five wrong PINs in a row', async () => {
    const cert = await sellCertificate('web-order-guess');
    const { number, pin } = cert.json();
    const wrongPin = pin === '00000000' ? '11111111' : '00000000';
    const attempts = () =>
      api.t.db
        .selectFrom('gift_card_pin_attempts as a')
        .innerJoin('gift_cards as g', 'g.id', 'a.card_id')
        .select(['a.failures', 'a.locked_until'])
        .where('g.number', '=', number)
        .executeTakeFirst();
    // A right PIN clears the wrong ones before it.
    for (let i = 0; i < 3; i += 1) expect((await balance(number, wrongPin)).statusCode).toBe(422);
    expect((await attempts())?.failures).toBe(3);
    expect((await balance(number, pin)).statusCode).toBe(200);
    expect(await attempts()).toBeUndefined();
    // Four wrong lookups and a wrong payment: its command is refused, the guess stays counted.
    for (let i = 0; i < 4; i += 1) expect((await balance(number, wrongPin)).statusCode).toBe(422);
    const pay = { number, amount: 1_000, holder: 'web-order-guess-pay', occurredAt };
    const fifth = await till('/v1/gift-cards/spend', { ...pay, pin: wrongPin });
    expect(fifth.json().error).toMatchObject({ code: 'gift_card_pin_invalid', field: 'pin' });
    const locked = await till('/v1/gift-cards/spend', { ...pay, pin }, 'guess-after-lock');
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error).toMatchObject({ code: 'gift_card_pin_locked', field: 'pin' });
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(29 * 60);
    expect((await balance(number, pin)).json().error.code).toBe('gift_card_pin_locked');
    // Half an hour on (the lock moved into the past), the right PIN pays.
    await api.t.db
      .updateTable('gift_card_pin_attempts')
      .set({ locked_until: new Date(Date.now() - 1000) })
      .execute();
    const paid = await till('/v1/gift-cards/spend', { ...pay, pin }, 'guess-after-unlock');
    expect(paid.json()).toMatchObject({ amount: 1_000, balance: 4_000 });
  });

  it('replays a payment made before the card locked, without guessing its PIN again', async () => {
    const cert = await sellCertificate('web-order-replay');
    const { number, pin } = cert.json();
    const pay = { number, pin, amount: 1_000, holder: 'web-order-replay-pay', occurredAt };
    const paid = await till('/v1/gift-cards/spend', pay, 'replay-pay-1');
    expect(paid.statusCode, paid.body).toBe(200);
    for (let i = 0; i < 5; i += 1) await balance(number, String(20_000_000 + i));
    expect((await balance(number, pin)).json().error.code).toBe('gift_card_pin_locked');
    const again = await till('/v1/gift-cards/spend', pay, 'replay-pay-1');
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(paid.json());
  });

  it('lets no more than five of many parallel guesses compare', async () => {
    const cert = await sellCertificate('web-order-burst');
    const { number, pin } = cert.json();
    const guesses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => balance(number, String(10_000_000 + i))),
    );
    const statuses = guesses.map((g) => g.statusCode);
    expect(statuses.filter((s) => s === 422)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(25);
    expect((await balance(number, pin)).json().error.code).toBe('gift_card_pin_locked');
  });

  it('never locks a card for 50 honest payers with the right PIN at once: all 50 pay it down to 0', async () => {
    const cert = await sellCertificate('web-order-honest');
    const { number, pin } = cert.json();
    // Fifty tills have fifty keys: the one till key of this file may send them all at once.
    await api.t.db.updateTable('api_keys').set({ rate_burst: 1_000 }).execute();
    await api.changesSeen();
    const payments = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        till('/v1/gift-cards/spend', { number, pin, amount: 100, holder: `honest-${i}`, occurredAt }),
      ),
    );
    const statuses = payments.map((p) => p.statusCode);
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    // Not locked: the balance answers to the same PIN.
    expect((await balance(number, pin)).json()).toMatchObject({ balance: 0 });
  });

  it('answers 4xx naming the field for unknown and malformed numbers', async () => {
    const unknown = await balance('7790000000000000');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatchObject({ code: 'gift_card_not_found', field: 'number' });
    const malformed = await balance('12ab');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.field).toBe('params.number');
    const inactive = await till('/v1/gift-cards/spend', {
      number: stock[4],
      amount: 1,
      holder: 'p',
      occurredAt,
    });
    expect(inactive.json().error).toMatchObject({ code: 'gift_card_inactive', field: 'number' });
  });
});

describe('in the back office', () => {
  it('blocks and unblocks a card, audited', async () => {
    await till('/v1/gift-cards/activate', {
      number: stock[2],
      amount: 100_000,
      saleReference: 'c-9',
      occurredAt,
    });
    const change = { number: stock[2], reason: 'reported stolen', occurredAt };
    expect((await till('/v1/gift-cards/block', change)).statusCode).toBe(403);
    expect((await manage('/v1/gift-cards/block', change)).json()).toMatchObject({
      status: 'blocked',
      available: 0,
    });
    const refused = await till('/v1/gift-cards/spend', {
      number: stock[2],
      amount: 1,
      holder: 'p',
      occurredAt,
    });
    expect(refused.json().error.code).toBe('gift_card_blocked');
    expect((await manage('/v1/gift-cards/unblock', change)).json().status).toBe('active');
    const audit = await api.t.db
      .selectFrom('audit_log')
      .select('action')
      .where('subject', 'like', 'gift_card:%')
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['gift_card.block', 'gift_card.unblock']);
  });

  it('documents the endpoints', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/gift-card-types',
        '/v1/gift-cards/batches',
        '/v1/gift-cards/activate',
        '/v1/gift-cards/spend',
        '/v1/gift-cards/refund',
        '/v1/gift-cards/{number}',
        '/v1/gift-cards/block',
      ]),
    );
  });
});
