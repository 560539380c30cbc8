import { describe, expect, it } from 'vitest';
import { useApiFixture } from '../../test/support/api-fixture';
import { apiGet } from '../../test/support/api-requests';
import { insertCustomer } from '../../test/support/customers';

const api = useApiFixture('coupons');
const manage = (url: string, payload: object, key?: string) =>
  api.call(url, payload, { token: api.demo.backOfficeApiKey, key });
const tillGet = (url: string) => apiGet(api, url, api.demo.tillApiKey);
const customer = { kind: 'external', value: 'coupon-fan' };

describe('coupon issues', () => {
  it('creates an issue with its texts and limits, naming bad fields, for coupons:manage only', async () => {
    const created = await manage('/v1/coupon-issues', {
      code: 'welcome',
      name: 'Welcome',
      kind: 'single_use',
      pattern: { prefix: 'WE', length: 8, group: 4 },
      maxUsesPerCustomer: 1,
      activationDelaySeconds: 3600,
      lifetimeSeconds: 30 * 86_400,
      imageUrl: 'https://example.com/welcome.png',
      shortDescription: '10% off',
      longDescription: '10% off your next purchase in any store.',
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      code: 'welcome',
      pattern: { prefix: 'WE', length: 8, checkLength: 2, group: 4, alphabet: expect.any(String) },
    });
    expect(created.json().maxIssuable).toBeGreaterThan(1_000_000);

    const again = await manage('/v1/coupon-issues', {
      code: 'welcome',
      name: 'x',
      kind: 'promo_code',
      pattern: { length: 6 },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'coupon_issue_exists', field: 'code' });
    const cases: [object, string][] = [
      [{ pattern: { length: 2 } }, 'body.pattern.length'],
      [{ pattern: { length: 6, alphabet: 'abc' } }, 'body.pattern.alphabet'],
      [{ kind: 'forever' }, 'body.kind'],
      [{ imageUrl: 'not a url' }, 'body.imageUrl'],
      [{ maxUsesTotal: 0 }, 'body.maxUsesTotal'],
      [{ lifetimeSeconds: -5 }, 'body.lifetimeSeconds'],
      [{ colour: 'red' }, 'body'],
    ];
    for (const [change, field] of cases) {
      const bad = await manage('/v1/coupon-issues', {
        code: 'bad',
        name: 'Bad',
        kind: 'single_use',
        pattern: { length: 6 },
        ...change,
      });
      expect(bad.statusCode, field).toBe(400);
      expect(bad.json().error.field, JSON.stringify(change)).toBe(field);
    }
    const till = await api.call('/v1/coupon-issues', {
      code: 't',
      name: 't',
      kind: 'single_use',
      pattern: { length: 6 },
    });
    expect(till.statusCode).toBe(403);
  });

  it('generates codes, refusing unknown issues and bad counts', async () => {
    const generated = await manage('/v1/coupon-issues/generate', { issueCode: 'welcome', count: 1000 });
    expect(generated.statusCode).toBe(200);
    expect(generated.json()).toEqual({ inserted: 1000, startIndex: 0 });
    const next = await manage('/v1/coupon-issues/generate', { issueCode: 'welcome', count: 10 });
    expect(next.json()).toEqual({ inserted: 10, startIndex: 1000 });
    const unknown = await manage('/v1/coupon-issues/generate', { issueCode: 'nope', count: 1 });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.field).toBe('issueCode');
    const zero = await manage('/v1/coupon-issues/generate', { issueCode: 'welcome', count: 0 });
    expect(zero.json().error.field).toBe('body.count');
  });

  it('imports external codes all or nothing, naming the first bad line', async () => {
    await manage('/v1/coupon-issues', {
      code: 'partner',
      name: 'Partner codes',
      kind: 'single_use',
      pattern: { length: 8 },
    });
    const invalid = await manage('/v1/coupon-issues/import', {
      issueCode: 'partner',
      codes: ['ab-12', 'a$b', ''],
    });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json().error).toMatchObject({ code: 'invalid_coupon_codes', field: 'codes.1' });
    const repeated = await manage('/v1/coupon-issues/import', {
      issueCode: 'partner',
      codes: ['ab-12', 'x1', 'AB12'],
    });
    expect(repeated.json().error).toMatchObject({ code: 'duplicate_coupon_codes', field: 'codes.2' });
    const ok = await manage('/v1/coupon-issues/import', {
      issueCode: 'partner',
      codes: ['ab-12', 'cd 34', 'EF56'],
    });
    expect(ok.json()).toEqual({ inserted: 3 });
    const taken = await manage('/v1/coupon-issues/import', { issueCode: 'partner', codes: ['GH78', 'EF56'] });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error).toMatchObject({ code: 'coupon_code_taken', field: 'codes.1' });
    const notArray = await manage('/v1/coupon-issues/import', { issueCode: 'partner', codes: 'AB12' });
    expect(notArray.json().error.field).toBe('body.codes');
  });
});

describe('coupons of customers', () => {
  let given = '';

  it('gives a customer a new or a pool coupon, found by any identifier', async () => {
    await insertCustomer(api.t.db, api.demo.programId, customer.value);
    const issued = await manage('/v1/coupons/issue', {
      customer,
      issueCode: 'welcome',
      occurredAt: '2026-05-10T12:00:00+03:00',
    });
    expect(issued.statusCode).toBe(201);
    expect(issued.json()).toMatchObject({
      issueId: 'welcome',
      activatesAt: '2026-05-10T10:00:00.000Z',
      expiresAt: '2026-06-09T10:00:00.000Z',
    });
    expect(issued.json().display).toMatch(/^WE[A-Z0-9]{2}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    given = issued.json().code;

    const pool = await manage('/v1/coupons/issue', {
      customer,
      issueCode: 'partner',
      code: 'cd-34',
      occurredAt: '2026-05-10T12:00:00+03:00',
    });
    expect(pool.json()).toMatchObject({ code: 'CD34', display: 'CD34', expiresAt: null });
    const twice = await manage('/v1/coupons/issue', {
      customer: { kind: 'external', value: 'someone-else' },
      issueCode: 'partner',
      code: 'CD34',
      occurredAt: '2026-05-10T12:00:00+03:00',
    });
    expect(twice.statusCode).toBe(404);
    expect(twice.json().error.field).toBe('customer');
    await insertCustomer(api.t.db, api.demo.programId, 'someone-else');
    const taken = await manage('/v1/coupons/issue', {
      customer: { kind: 'external', value: 'someone-else' },
      issueCode: 'partner',
      code: 'CD34',
      occurredAt: '2026-05-10T12:00:00+03:00',
    });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error).toMatchObject({ code: 'coupon_not_free', field: 'code' });
    const wrongIssue = await manage('/v1/coupons/issue', {
      customer,
      issueCode: 'welcome',
      code: 'EF56',
      occurredAt: '2026-05-10T12:00:00+03:00',
    });
    expect(wrongIssue.json().error).toMatchObject({ code: 'coupon_unknown', field: 'code' });
    const noOffset = await manage('/v1/coupons/issue', {
      customer,
      issueCode: 'welcome',
      occurredAt: '2026-05-10T12:00:00',
    });
    expect(noOffset.json().error.field).toBe('body.occurredAt');
    const audit = await api.t.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', 'like', 'coupon%')
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      'coupon_issue.create',
      'coupon_issue.generate',
      'coupon_issue.generate',
      'coupon_issue.create',
      'coupon_issue.import',
      'coupon.issue',
      'coupon.issue',
    ]);
  });

  it("lists a customer's coupons with texts and whether each is usable now", async () => {
    const list = (at: string) =>
      api.app.inject({
        method: 'POST',
        url: '/v1/coupons/of-customer',
        headers: { authorization: `Bearer ${api.demo.tillApiKey}` },
        payload: { customer, at },
      });
    // newest first; both were issued at one time, the generated one last
    const early = await list('2026-05-10T12:30:00+03:00');
    expect(early.statusCode).toBe(200);
    expect(early.json().items).toEqual([
      expect.objectContaining({
        code: given,
        usable: false,
        reason: 'coupon_not_active_yet',
        issue: {
          code: 'welcome',
          name: 'Welcome',
          kind: 'single_use',
          imageUrl: 'https://example.com/welcome.png',
          shortDescription: '10% off',
          longDescription: '10% off your next purchase in any store.',
        },
      }),
      expect.objectContaining({
        code: 'CD34',
        usable: true,
        issue: expect.objectContaining({ code: 'partner' }),
      }),
    ]);
    const expired = await list('2026-07-01T00:00:00+03:00');
    expect(expired.json().items[0]).toMatchObject({ usable: false, reason: 'coupon_expired' });
    const unknown = await api.app.inject({
      method: 'POST',
      url: '/v1/coupons/of-customer',
      headers: { authorization: `Bearer ${api.demo.tillApiKey}` },
      payload: { customer: { kind: 'phone', value: '' } },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.field).toBe('body.customer.value');
  });

  it('looks up one code however it is typed', async () => {
    const typed = given.toLowerCase().replace(/(....)/g, '$1-');
    const found = await tillGet(`/v1/coupons/${typed}?at=2026-05-10T14:00:00%2B03:00`);
    expect(found.statusCode).toBe(200);
    expect(found.json()).toMatchObject({
      code: given,
      status: 'issued',
      usable: true,
      uses: 0,
      imported: false,
      issue: { code: 'welcome', maxUsesPerCustomer: 1, maxUsesTotal: null },
    });
    const missing = await tillGet('/v1/coupons/NOSUCHCODE');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatchObject({ code: 'coupon_unknown', field: 'code' });
    const badTime = await tillGet(`/v1/coupons/${given}?at=yesterday`);
    expect(badTime.statusCode).toBe(400);
    expect(badTime.json().error.field).toBe('querystring.at');
  });

  it('documents the coupon endpoints', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/coupon-issues',
        '/v1/coupon-issues/generate',
        '/v1/coupon-issues/import',
        '/v1/coupons/issue',
        '/v1/coupons/of-customer',
        '/v1/coupons/{code}',
        '/v1/till/config',
      ]),
    );
  });
});
