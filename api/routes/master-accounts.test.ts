import { describe, expect, it } from 'vitest';
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
});
