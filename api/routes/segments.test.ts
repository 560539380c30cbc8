import { beforeAll, describe, expect, it } from 'vitest';
import { refreshQueuedCustomers } from '../../db/segments';
import { apiGet } from '../../test/support/api-requests';
import { useApiFixture } from '../../test/support/api-fixture';

const api = useApiFixture('segments');
const back = (url: string, payload: object, key?: string) =>
  api.call(url, payload, { token: api.demo.backOfficeApiKey, ...(key ? { key } : {}) });
const at = '2026-11-25T12:00:00+03:00';
const anna = { kind: 'phone', value: '+79161110001' } as const;
const boris = { kind: 'phone', value: '+79161110002' } as const;
const milk = { sku: 'MILK', unitPrice: 10_000, quantity: 4, category: ['dairy'] };
let refs = 0;

const confirm = (customer: object) =>
  api.call('/v1/purchases/confirm', {
    customer,
    externalRef: `seg-${(refs += 1)}`,
    occurredAt: at,
    lines: [milk],
  });
const calculate = (customer: object) =>
  api.app.inject({
    method: 'POST',
    url: '/v1/purchases/calculate',
    headers: { authorization: `Bearer ${api.demo.tillApiKey}` },
    payload: { customer, occurredAt: at, lines: [milk] },
  });
const drain = async () => {
  while ((await refreshQueuedCustomers(api.t.db, { now: new Date() })).customers > 0);
};
const bigSpenders = {
  code: 'big',
  name: 'Spent 300.00 or more this year',
  condition: { type: 'purchases', windowDays: 365, metric: 'amount', range: { min: 30_000 } },
};

beforeAll(async () => {
  for (const phone of [anna.value, boris.value]) {
    const r = await api.call('/v1/customers', {
      channel: 'till',
      registeredAt: at,
      phone,
      profile: { gender: phone === anna.value ? 'female' : 'male' },
    });
    expect(r.statusCode, r.body).toBe(201);
  }
  const draft = await back('/v1/promotions/rule-sets', {
    rules: [
      {
        id: 'big5',
        name: '5 % for big spenders',
        condition: { type: 'segment', segments: ['big'] },
        benefit: { kind: 'percent', bps: 500 },
      },
    ],
  });
  expect(draft.statusCode, draft.body).toBe(201);
  const published = await back('/v1/promotions/rule-sets/publish', { version: draft.json().version });
  expect(published.statusCode, published.body).toBe(200);
  const first = await confirm(anna);
  expect(first.statusCode, first.body).toBe(201);
  await drain();
});

describe('segments through the API', () => {
  it('creates a segment, counts it live, recomputes its membership and lists its members', async () => {
    const created = await back('/v1/segments', bigSpenders);
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ code: 'big', version: 1, memberCount: null });
    const count = await apiGet(api, '/v1/segments/big/count');
    expect(count.json()).toMatchObject({ count: 1 });
    const recomputed = await back('/v1/segments/recompute', { code: 'big' });
    expect(recomputed.json()).toEqual({ entered: 1, left: 0, members: 1 });
    const members = await apiGet(api, '/v1/segments/big/members');
    expect(members.json().members).toHaveLength(1);
    expect(members.json().next).toBeNull();
    const csv = await apiGet(api, '/v1/segments/big/members.csv');
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('feeds membership to the pricing engine: the segment promotion applies to members only', async () => {
    const forAnna = await calculate(anna);
    expect(forAnna.json().result.discount).toBe(2_000);
    const forBoris = await calculate(boris);
    expect(forBoris.json().result.discount).toBe(0);
  });

  it('brings a customer in after their purchases commit, through the refresh queue, with one entered event', async () => {
    expect((await confirm(boris)).statusCode).toBe(201);
    const before = await api.t.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('type', '=', 'segment.entered')
      .executeTakeFirstOrThrow();
    await drain();
    const after = await api.t.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('type', '=', 'segment.entered')
      .executeTakeFirstOrThrow();
    expect(Number(after.n) - Number(before.n)).toBe(1);
    expect((await calculate(boris)).json().result.discount).toBe(2_000);
  });

  it('explains for one customer which conditions held', async () => {
    await back('/v1/segments', {
      code: 'women-big',
      name: 'Women who spent 300.00',
      condition: {
        type: 'all',
        conditions: [
          { type: 'profile', field: 'gender', in: ['female'] },
          { type: 'segment', segment: 'big' },
        ],
      },
    });
    const why = await api.app.inject({
      method: 'POST',
      url: '/v1/customers/segments',
      headers: { authorization: `Bearer ${api.demo.backOfficeApiKey}` },
      payload: { customer: boris },
    });
    expect(why.statusCode, why.body).toBe(200);
    const womenBig = why.json().segments.find((s: { segment: string }) => s.segment === 'women-big');
    expect(womenBig).toMatchObject({
      matches: false,
      member: false,
      conditions: {
        type: 'all',
        matched: false,
        children: [
          {
            path: 'condition.conditions.0',
            type: 'profile',
            description: 'gender is female',
            matched: false,
          },
          { path: 'condition.conditions.1', type: 'segment', description: 'in segment big', matched: true },
        ],
      },
    });
  });

  it('refuses a definition that refers to itself or closes a cycle, naming the condition', async () => {
    const self = await back('/v1/segments', {
      code: 'loop',
      name: 'Loop',
      condition: { type: 'not', condition: { type: 'segment', segment: 'loop' } },
    });
    expect(self.statusCode).toBe(422);
    expect(self.json().error).toMatchObject({
      code: 'segment_invalid',
      field: 'condition.condition.segment',
    });
    const cycle = await back('/v1/segments/versions', {
      code: 'big',
      name: 'Big',
      condition: { type: 'segment', segment: 'women-big' },
    });
    expect(cycle.statusCode).toBe(422);
    expect(cycle.json().error.message).toContain('big → women-big → big');
    expect((await apiGet(api, '/v1/segments/big')).json().version).toBe(1);
  });

  it('names the path of bad conditions: unknown field, wrong test for the type, a window of 0 days', async () => {
    const unknown = await back('/v1/segments/check', {
      condition: {
        type: 'all',
        conditions: [{ type: 'questionnaire', test: { field: 'shoe_size', answered: true } }],
      },
    });
    expect(unknown.json()).toMatchObject({
      valid: false,
      issues: [{ field: 'condition.conditions.0.test.field' }],
    });
    const wrongType = await back('/v1/segments/check', {
      condition: { type: 'questionnaire', test: { field: 'has_car', range: { min: 1 } } },
    });
    expect(wrongType.json().issues[0].field).toBe('condition.test.range');
    const zero = await back('/v1/segments', {
      code: 'zero',
      name: 'Zero',
      condition: { type: 'purchases', windowDays: 0, metric: 'count', range: { min: 1 } },
    });
    expect(zero.statusCode).toBe(400);
    expect(zero.json().error.field).toBe('body.condition.windowDays');
  });

  it('keeps every version and archives a segment no other refers to, its members leaving', async () => {
    const versioned = await back('/v1/segments/versions', {
      code: 'women-big',
      name: 'Women, big',
      condition: bigSpenders.condition,
    });
    expect(versioned.json().version).toBe(2);
    const versions = await apiGet(api, '/v1/segments/women-big/versions');
    expect(versions.json().versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    const inUse = await back('/v1/segments', {
      code: 'uses-big',
      name: 'Uses big',
      condition: { type: 'segment', segment: 'big' },
    });
    expect(inUse.statusCode).toBe(201);
    expect((await back('/v1/segments/archive', { code: 'big' })).statusCode).toBe(409);
    expect((await back('/v1/segments/archive', { code: 'uses-big' })).statusCode).toBe(200);
    const archived = await back('/v1/segments/archive', { code: 'big' });
    expect(archived.json().archivedAt).not.toBeNull();
    expect((await calculate(anna)).json().result.discount).toBe(0);
  });
});
