import { describe, expect, it } from 'vitest';
import { pointsBalance } from '../../db/ledger/points';
import { useApiFixture } from '../../test/support/api-fixture';
import { ledgerViolations } from '../../test/support/ledger-invariants';

const api = useApiFixture('master');
const call = (url: string, payload: object) => api.call(url, payload);
const at = '2026-08-01T12:00:00+03:00';

describe('master accounts', () => {
  it('pools the members’ points and cash; any member spends from the pool', async () => {
    const mum = { kind: 'external', value: 'mum' };
    const son = { kind: 'external', value: 'son' };
    for (const externalId of ['mum', 'son']) {
      expect(
        (
          await call('/v1/customers', {
            channel: 'operator',
            registeredAt: at,
            externalId,
            profile: { firstName: externalId },
          })
        ).statusCode,
      ).toBe(201);
    }
    await call('/v1/operations/accrue', { customer: mum, amount: 300, occurredAt: at });
    await call('/v1/operations/accrue', { customer: son, amount: 120, occurredAt: at });
    await call('/v1/operations/top-up', { customer: son, amount: 5_000, occurredAt: at });
    const family = (await call('/v1/master-accounts', { name: 'Ivanov family', kind: 'family' })).json().id;
    expect(
      (
        await call('/v1/master-accounts/members', { masterAccountId: family, customer: mum, occurredAt: at })
      ).json().moved,
    ).toEqual([{ kind: 'points', currency: 'bonus', balance: 300, lots: 1, debt: 0 }]);
    await call('/v1/master-accounts/members', { masterAccountId: family, customer: son, occurredAt: at });
    const again = await call('/v1/master-accounts/members', {
      masterAccountId: family,
      customer: son,
      occurredAt: at,
    });
    expect(again.json().error).toMatchObject({ code: 'already_pooled', field: 'customer' });

    const sonView = (await call('/v1/customers/lookup', { customer: son, at })).json();
    expect(sonView).toMatchObject({ points: { available: 420 }, cashBalance: 5_000 });
    const spent = await call('/v1/operations/spend', { customer: son, amount: 400, occurredAt: at });
    expect(spent.json().balance.available).toBe(20);
    expect((await call('/v1/customers/lookup', { customer: mum, at })).json().points.available).toBe(20);
    expect(await ledgerViolations(api.t.db)).toEqual([]);
  });

  it('answers the members’ own accounts and the pool as of times before and after each join exactly', async () => {
    const ids: Record<string, number> = {};
    for (const externalId of ['pa', 'ma']) {
      const registered = await call('/v1/customers', {
        channel: 'operator',
        registeredAt: '2026-06-01T12:00:00+03:00',
        externalId,
      });
      expect(registered.statusCode, registered.body).toBe(201);
      ids[externalId] = registered.json().customerId;
    }
    const pa = { kind: 'external', value: 'pa' };
    const ma = { kind: 'external', value: 'ma' };
    const july = (day: number) => `2026-07-${String(day).padStart(2, '0')}T12:00:00+03:00`;
    await call('/v1/operations/accrue', { customer: pa, amount: 200, occurredAt: july(1) });
    await call('/v1/operations/accrue', { customer: ma, amount: 100, occurredAt: july(1) });
    const own = async (customerId: number) =>
      (
        await api.t.db
          .selectFrom('accounts')
          .select('id')
          .where('customer_id', '=', customerId)
          .where('kind', '=', 'points')
          .executeTakeFirstOrThrow()
      ).id;
    const [paOwn, maOwn] = [await own(ids.pa!), await own(ids.ma!)];
    const family = (await call('/v1/master-accounts', { name: 'Petrov family', kind: 'family' })).json().id;
    for (const [customer, day] of [
      [pa, 10],
      [ma, 20],
    ] as const) {
      const joined = await call('/v1/master-accounts/members', {
        masterAccountId: family,
        customer,
        occurredAt: july(day),
      });
      expect(joined.statusCode, joined.body).toBe(200);
    }
    const spent = await call('/v1/operations/spend', { customer: pa, amount: 50, occurredAt: july(25) });
    expect(spent.statusCode, spent.body).toBe(200);
    const pool = (
      await api.t.db
        .selectFrom('accounts')
        .select('id')
        .where('master_account_id', '=', family)
        .where('kind', '=', 'points')
        .executeTakeFirstOrThrow()
    ).id;
    const held = async (day: number) =>
      Promise.all([paOwn, maOwn, pool].map((id) => pointsBalance(api.t.db, id, new Date(july(day)))));
    const points = (n: number) => ({ balance: n, available: n, pending: 0, expired: 0, debt: 0 });
    // pa's own, ma's own, the pool's: each point is in exactly one account at each time.
    expect({ 5: await held(5), 15: await held(15), 22: await held(22), 30: await held(30) }).toEqual({
      5: [points(200), points(100), points(0)],
      15: [points(0), points(100), points(200)],
      22: [points(0), points(0), points(300)],
      30: [points(0), points(0), points(250)],
    });
    expect(await ledgerViolations(api.t.db)).toEqual([]);
  });
});
