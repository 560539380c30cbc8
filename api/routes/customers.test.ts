import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../test/support/ledger-invariants';
import { anna, at, milk, usePurchaseProgram } from '../../test/support/purchase-program';

const { api, backOffice, later } = usePurchaseProgram('customers');

const phone = (n: number) => ({ kind: 'phone', value: `+7916222${String(n).padStart(4, '0')}` }) as const;

async function register(customer: { value: string }): Promise<number> {
  const response = await api.call('/v1/customers', {
    channel: 'till',
    registeredAt: at,
    phone: customer.value,
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().customerId;
}

async function accrue(customer: object, amount: number) {
  const response = await api.call('/v1/operations/accrue', { customer, amount, occurredAt: later() });
  expect(response.statusCode, response.body).toBe(200);
}

const storedAnswers = async () =>
  (
    await sql<{ response: string }>`select response::text as response from idempotency_keys`.execute(api.t.db)
  ).rows.map((r) => r.response);

describe('customers', () => {
  it('stores no activation token or e-certificate PIN in clear; a replay answers them as the first call did', async () => {
    const body = { channel: 'till', registeredAt: at, phone: '+79162220001' };
    const registered = await api.call('/v1/customers', body, { key: 'secret-registration' });
    expect(registered.statusCode, registered.body).toBe(201);
    const { activationToken, ...registeredRest } = registered.json();
    expect(activationToken).toEqual(expect.any(String));

    const type = await backOffice('/v1/gift-card-types', {
      code: 'e-cert',
      name: 'E-certificate',
      kind: 'electronic',
      minAmount: 1_000,
      maxAmount: 1_000_000,
      validityDays: 180,
      numbers: { prefix: '778', length: 16, luhn: true },
    });
    expect(type.statusCode, type.body).toBe(201);
    const activation = {
      typeId: type.json().id,
      amount: 5_000,
      saleReference: 'secret-cert',
      occurredAt: at,
    };
    const sold = await api.call('/v1/gift-cards/activate', activation, { key: 'secret-certificate' });
    expect(sold.statusCode, sold.body).toBe(200);
    const { pin, ...soldRest } = sold.json();
    expect(pin).toMatch(/^\d+$/);

    const check = {
      customer: anna,
      externalRef: 'secret-check',
      occurredAt: later(),
      lines: [milk, { sku: 'GIFT', unitPrice: 50_000, quantity: 1, giftCard: { typeId: type.json().id } }],
    };
    const sale = await api.call('/v1/purchases/confirm', check, { key: 'secret-sale' });
    expect(sale.statusCode, sale.body).toBe(201);
    const [{ pin: salePin, ...soldLine }] = sale.json().soldGiftCards;
    expect(salePin).toMatch(/^\d+$/);

    const stored = await storedAnswers();
    for (const secret of [activationToken, pin, salePin])
      expect(stored.filter((r) => r.includes(secret as string))).toEqual([]);

    const replays = await Promise.all([
      api.call('/v1/customers', body, { key: 'secret-registration' }),
      api.call('/v1/gift-cards/activate', activation, { key: 'secret-certificate' }),
      api.call('/v1/purchases/confirm', check, { key: 'secret-sale' }),
    ]);
    expect(replays.map((r) => [r.statusCode, r.headers['idempotent-replayed']])).toEqual([
      [201, 'true'],
      [200, 'true'],
      [201, 'true'],
    ]);
    // A till that lost the first answer gets the secret again: the buyer's e-certificate stays usable.
    expect(replays[0]!.json()).toEqual({ ...registeredRest, activationToken });
    expect(replays[1]!.json()).toEqual({ ...soldRest, pin });
    expect(replays[2]!.json()).toEqual({ ...sale.json(), soldGiftCards: [{ ...soldLine, pin: salePin }] });
  });

  it('answers a lookup of a customer without accounts with zero balances and writes no account', async () => {
    const customer = phone(2);
    const customerId = await register(customer);
    const accounts = () => api.t.db.selectFrom('accounts').selectAll().orderBy('id').execute();
    const before = await accounts();
    const lookup = await api.call('/v1/customers/lookup', { customer, at });
    expect(lookup.statusCode, lookup.body).toBe(200);
    expect(lookup.json()).toMatchObject({
      customerId,
      points: { balance: 0, available: 0, pending: 0, expired: 0, debt: 0 },
      cashBalance: 0,
    });
    expect(await accounts()).toEqual(before);
  });

  it('walks the history in pages of 1, 2, 3 and 7: every line once, in the order of one page', async () => {
    const main = phone(3);
    const twin = phone(4);
    const mainId = await register(main);
    const twinId = await register(twin);
    for (let i = 1; i <= 5; i += 1) await accrue(main, 10 * i);
    for (let i = 1; i <= 3; i += 1) await accrue(twin, 100 * i);
    const merged = await backOffice('/v1/customers/merge', {
      survivorId: mainId,
      mergedId: twinId,
      occurredAt: later(),
    });
    expect(merged.statusCode, merged.body).toBe(200);
    for (let i = 1; i <= 4; i += 1) await accrue(main, 1_000 * i);
    const pool = await backOffice('/v1/master-accounts', { name: 'History family', kind: 'family' });
    const joined = await backOffice('/v1/master-accounts/members', {
      masterAccountId: pool.json().id,
      customer: main,
      occurredAt: later(),
    });
    expect(joined.statusCode, joined.body).toBe(200);
    for (let i = 1; i <= 3; i += 1) await accrue(main, 7 * i);

    const whole = await api.call('/v1/customers/history', { customer: main, limit: 200 });
    expect(whole.statusCode, whole.body).toBe(200);
    expect(whole.json().nextCursor).toBeNull();
    // 15 accruals, a merge and a pool join of two lines each.
    const all: unknown[] = whole.json().items;
    expect(all).toHaveLength(19);
    expect(new Set(all.map((item) => JSON.stringify(item))).size).toBe(19);
    for (const limit of [1, 2, 3, 7]) {
      const walked: unknown[] = [];
      let cursor: number | null = null;
      do {
        const page = await api.call('/v1/customers/history', {
          customer: main,
          limit,
          ...(cursor === null ? {} : { cursor }),
        });
        expect(page.statusCode, page.body).toBe(200);
        expect(page.json().items.length).toBeLessThanOrEqual(limit);
        walked.push(...page.json().items);
        cursor = page.json().nextCursor;
      } while (cursor !== null);
      expect({ limit, walked }).toEqual({ limit, walked: all });
    }
    expect(await ledgerViolations(api.t.db)).toEqual([]);
  });

  it('answers the history and audit of a customer who left, the leave included', async () => {
    const customer = phone(5);
    await register(customer);
    await accrue(customer, 250);
    const left = await api.call('/v1/customers/leave', {
      customer,
      reason: 'moved abroad',
      occurredAt: later(),
    });
    expect(left.statusCode, left.body).toBe(200);
    const history = await api.call('/v1/customers/history', { customer });
    expect(history.statusCode, history.body).toBe(200);
    expect(history.json().items.map((i: { kind: string; amount: number }) => [i.kind, i.amount])).toEqual([
      ['forfeit', -250],
      ['accrue', 250],
    ]);
    const audit = await api.call('/v1/customers/audit', { customer });
    expect(audit.statusCode, audit.body).toBe(200);
    const actions = audit.json().items.map((i: { action: string }) => i.action);
    expect(actions[0]).toBe('customer.leave');
    expect(actions).toContain('customer.register');
  });
});
