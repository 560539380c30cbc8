import { describe, expect, it } from 'vitest';
import { issueApiKey } from '../../db/api-keys';
import { redeemCoupons } from '../../db/coupons/coupon-lifecycle';
import { verifyOfflineCheck } from '../../engine/coupons/code-pattern';
import type { TillConfig } from '../../engine/coupons/coupon-contracts';
import { useApiFixture } from '../../test/support/api-fixture';
import { apiGet } from '../../test/support/api-requests';
import { waitFor } from '../../test/support/wait';

const api = useApiFixture('till-config');
const manage = (url: string, payload: object) => api.call(url, payload, { token: api.demo.backOfficeApiKey });
const config = async (query = '') => {
  const response = await apiGet(api, `/v1/till/config${query}`, api.demo.tillApiKey);
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as TillConfig;
};
/** Changes are answered once every older transaction has ended: other test files may hold one briefly. */
const changesUntil = async (query: string, done: (c: TillConfig) => boolean): Promise<TillConfig> =>
  (await waitFor(async () => {
    const c = await config(query);
    return done(c) ? c : undefined;
  }, 10_000))!;

describe('GET /v1/till/config', () => {
  let generated: string[] = [];

  it('gives the till key and issue rules a till verifies generated codes with, offline', async () => {
    await manage('/v1/coupon-issues', {
      code: 'autumn',
      name: 'Autumn',
      kind: 'single_use',
      pattern: { prefix: 'AU', length: 7, checkLength: 3, group: 4 },
      lifetimeSeconds: 86_400,
    });
    await manage('/v1/coupon-issues/generate', { issueCode: 'autumn', count: 50 });
    generated = (
      await api.t.db.selectFrom('coupons').select('code').where('code', 'like', 'AU%').execute()
    ).map((r) => r.code);

    const fetched = await config();
    expect(fetched.programId).toBe(api.demo.programId);
    expect(fetched.issues).toEqual([
      {
        code: 'autumn',
        name: 'Autumn',
        kind: 'single_use',
        pattern: expect.objectContaining({ prefix: 'AU', length: 7, checkLength: 3, group: 4 }),
        offlineCheck: true,
        maxUsesTotal: null,
        maxUsesPerCustomer: null,
        activationDelaySeconds: 0,
        lifetimeSeconds: 86_400,
      },
    ]);
    expect(fetched.changes).toEqual({ items: [], next: null, more: false });

    // the till, offline: only the fetched key and pattern
    const tillKey = Buffer.from(fetched.tillKey, 'base64');
    const pattern = fetched.issues[0]!.pattern;
    for (const code of generated) expect(verifyOfflineCheck(code, pattern, tillKey)).toBe(true);
    const code = generated[0]!;
    const typo = code.slice(0, -1) + (code.endsWith('A') ? 'B' : 'A');
    expect(verifyOfflineCheck(typo, pattern, tillKey)).toBe(false);
    expect(verifyOfflineCheck(code, pattern, Buffer.alloc(32, 7))).toBe(false);
  });

  it('lists imported codes page by page, then one redeemed since the cursor as invalid', async () => {
    await manage('/v1/coupon-issues', {
      code: 'partner',
      name: 'Partner codes',
      kind: 'single_use',
      pattern: { length: 8 },
    });
    const imported = await manage('/v1/coupon-issues/import', {
      issueCode: 'partner',
      codes: ['P-0001', 'P-0002', 'P-0003'],
    });
    expect(imported.json()).toEqual({ inserted: 3 });

    const first = await changesUntil('?limit=2', (c) => c.changes.items.length === 2);
    expect(first.changes.items.map((i) => [i.code, i.valid, i.imported])).toEqual([
      ['P0001', true, true],
      ['P0002', true, true],
    ]);
    expect(first.changes.more).toBe(true);
    const second = await config(`?limit=2&since=${first.changes.next}`);
    expect(second.changes.items.map((i) => i.code)).toEqual(['P0003']);
    expect(second.changes.more).toBe(false);
    const cursor = second.changes.next!;
    expect((await config(`?since=${cursor}`)).changes).toEqual({ items: [], next: cursor, more: false });

    await api.t.db.transaction().execute((trx) =>
      redeemCoupons(trx, {
        programId: api.demo.programId,
        holder: 'purchase:till-config',
        codes: ['P0002', generated[0]!],
        customerId: null,
        at: new Date(),
      }),
    );
    const delta = await changesUntil(`?since=${cursor}`, (c) => c.changes.items.length === 2);
    expect(delta.changes.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'P0002', issueCode: 'partner', valid: false, status: 'redeemed' }),
        expect.objectContaining({ code: generated[0], issueCode: 'autumn', valid: false, imported: false }),
      ]),
    );
  });

  it('names a bad cursor or limit, and needs an API key with coupons:read', async () => {
    const badSince = await apiGet(api, '/v1/till/config?since=yesterday', api.demo.tillApiKey);
    expect(badSince.statusCode).toBe(400);
    expect(badSince.json().error.field).toBe('querystring.since');
    const badLimit = await apiGet(api, '/v1/till/config?limit=0', api.demo.tillApiKey);
    expect(badLimit.json().error.field).toBe('querystring.limit');
    const anonymous = await api.app.inject({ method: 'GET', url: '/v1/till/config' });
    expect(anonymous.statusCode).toBe(401);
    const { token } = await issueApiKey(api.t.db, {
      programId: api.demo.programId,
      label: 'events only',
      scopes: ['events:write'],
    });
    const unscoped = await apiGet(api, '/v1/till/config', token);
    expect(unscoped.statusCode).toBe(403);
    expect(unscoped.json().error.message).toContain('coupons:read');
  });
});
