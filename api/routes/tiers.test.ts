import { describe, expect, it } from 'vitest';
import { useApiFixture } from '../../test/support/api-fixture';
import { apiGet, apiPut } from '../../test/support/api-requests';

const api = useApiFixture('tiers');
let seq = 0;
const put = (payload: object, token?: string) =>
  apiPut(api, '/v1/tiers/ladder', payload, `tiers-put-${String((seq += 1)).padStart(4, '0')}`, token);

const ladder = {
  tiers: [
    { code: 'base', name: 'Base', threshold: 0 },
    { code: 'gold', name: 'Gold', threshold: 5_000_000 },
    { code: 'platinum', name: 'Platinum', threshold: 20_000_000 },
  ],
  window: { months: 12 },
  reviewPeriod: 'monthly',
  downgrade: { policy: 'one-step' },
};

describe('tier ladder', () => {
  it('has none until one is put, and needs the program:manage scope', async () => {
    const none = await apiGet(api, '/v1/tiers/ladder');
    expect(none.statusCode).toBe(404);
    expect(none.json().error.code).toBe('tier_ladder_not_found');
    expect((await put(ladder, api.demo.tillApiKey)).statusCode).toBe(403);
    expect((await apiGet(api, '/v1/tiers/ladder', api.demo.tillApiKey)).statusCode).toBe(403);
  });

  it('refuses thresholds out of order or a code twice with 422 naming the tier, and bad shapes with 400', async () => {
    const [base, gold, platinum] = ladder.tiers;
    const order = await put({ ...ladder, tiers: [base, platinum, gold] });
    expect(order.statusCode).toBe(422);
    expect(order.json().error).toMatchObject({ code: 'invalid_tier_ladder', field: 'tiers.2.threshold' });
    const equal = await put({ ...ladder, tiers: [base, { ...gold, threshold: 0 }] });
    expect(equal.json().error.field).toBe('tiers.1.threshold');
    const twice = await put({ ...ladder, tiers: [base, { ...gold, code: 'base' }] });
    expect(twice.json().error.field).toBe('tiers.1.code');
    const window = await put({ ...ladder, window: { months: 0 } });
    expect(window.statusCode).toBe(400);
    expect(window.json().error.field).toBe('body.window.months');
    const review = await put({ ...ladder, reviewPeriod: 'daily' });
    expect(review.json().error.field).toBe('body.reviewPeriod');
    const noKey = await api.app.inject({
      method: 'PUT',
      url: '/v1/tiers/ladder',
      headers: { authorization: `Bearer ${api.demo.backOfficeApiKey}` },
      payload: ladder,
    });
    expect(noKey.statusCode).toBe(400);
    expect(noKey.json().error.field).toBe('headers.idempotency-key');
    expect((await apiGet(api, '/v1/tiers/ladder')).statusCode).toBe(404);
  });

  it('replaces the ladder, replays a retry, and audits the ladder it replaced', async () => {
    const first = await put(ladder);
    expect(first.statusCode).toBe(200);
    expect(first.json().ladder.downgrade).toEqual({ policy: 'one-step', graceMonths: 0 });
    const retry = await apiPut(api, '/v1/tiers/ladder', ladder, 'tiers-put-0009');
    const replay = await apiPut(api, '/v1/tiers/ladder', ladder, 'tiers-put-0009');
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(retry.json());
    const shorter = { ...ladder, tiers: ladder.tiers.slice(0, 2), reviewPeriod: 'on-purchase' };
    expect((await put(shorter)).statusCode).toBe(200);
    const stored = (await apiGet(api, '/v1/tiers/ladder')).json();
    expect(stored.ladder.tiers.map((t: { code: string }) => t.code)).toEqual(['base', 'gold']);
    expect(stored.ladder.reviewPeriod).toBe('on-purchase');
    const audit = await api.t.db
      .selectFrom('audit_log')
      .select('changes')
      .where('action', '=', 'tiers.ladder')
      .orderBy('id')
      .execute();
    expect(audit).toHaveLength(3);
    expect(audit[0]!.changes).toMatchObject({ before: null });
    expect((audit[2]!.changes.before as { tiers: unknown[] }).tiers).toHaveLength(3);
  });
});
