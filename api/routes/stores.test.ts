import { describe, expect, it } from 'vitest';
import { useApiFixture } from '../../test/support/api-fixture';
import { apiGet } from '../../test/support/api-requests';

const api = useApiFixture('stores');
const call = (url: string, payload: object, options: { token?: string; key?: string } = {}) =>
  api.call(url, payload, { token: options.token ?? api.demo.backOfficeApiKey, key: options.key });

let partnerId = 0;
let storeIds: number[] = [];

describe('partners and stores', () => {
  it('creates a partner once, refuses its code twice, and needs the program:manage scope', async () => {
    const created = await call('/v1/partners', { code: 'coffee-co', name: 'Coffee Co' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ code: 'coffee-co', name: 'Coffee Co' });
    partnerId = created.json().id;
    const again = await call('/v1/partners', { code: 'coffee-co', name: 'Other' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'partner_exists', field: 'code' });
    const badCode = await call('/v1/partners', { code: 'Coffee Co', name: 'x' });
    expect(badCode.statusCode).toBe(400);
    expect(badCode.json().error.field).toBe('body.code');
    const till = await call('/v1/partners', { code: 'tea', name: 'Tea' }, { token: api.demo.tillApiKey });
    expect(till.statusCode).toBe(403);
    const renamed = await call('/v1/partners/update', { partnerId, name: 'Coffee Company' });
    expect(renamed.json()).toMatchObject({ id: partnerId, code: 'coffee-co', name: 'Coffee Company' });
    const list = await apiGet(api, '/v1/partners');
    expect(list.json().items.map((p: { code: string }) => p.code)).toEqual(['demo-partner', 'coffee-co']);
  });

  it('creates stores only with an IANA time zone, naming the field, and stores the canonical name', async () => {
    for (const timeZone of ['Mars/Base', '+03:00', 'MSK+1', '']) {
      const bad = await call('/v1/stores', { partnerId, code: 'bad', name: 'Bad', timeZone });
      expect(bad.statusCode, timeZone).toBe(400);
      expect(bad.json().error.field).toBe('body.timeZone');
    }
    const berlin = await call('/v1/stores', {
      partnerId,
      code: 'ber-01',
      name: 'Berlin',
      timeZone: 'Europe/Berlin',
    });
    expect(berlin.statusCode).toBe(201);
    const ny = await call('/v1/stores', {
      partnerId,
      code: 'nyc-01',
      name: 'New York',
      timeZone: 'US/Eastern',
    });
    expect(ny.json()).toMatchObject({ partnerId, code: 'nyc-01', timeZone: 'America/New_York' });
    storeIds = [berlin.json().id, ny.json().id];
    const unknownPartner = await call('/v1/stores', {
      partnerId: 999_999,
      code: 'x',
      name: 'X',
      timeZone: 'UTC',
    });
    expect(unknownPartner.statusCode).toBe(404);
    expect(unknownPartner.json().error.field).toBe('partnerId');
    const twice = await call('/v1/stores', { partnerId, code: 'ber-01', name: 'B2', timeZone: 'UTC' });
    expect(twice.statusCode).toBe(409);
  });

  it('updates a store, lists stores by partner and audits every change', async () => {
    const empty = await call('/v1/stores/update', { storeId: storeIds[0] });
    expect(empty.statusCode).toBe(400);
    const bad = await call('/v1/stores/update', { storeId: storeIds[0], timeZone: 'Europe/Nowhere' });
    expect(bad.json().error.field).toBe('body.timeZone');
    const moved = await call('/v1/stores/update', { storeId: storeIds[0], timeZone: 'Europe/Vienna' });
    expect(moved.json()).toMatchObject({ name: 'Berlin', timeZone: 'Europe/Vienna' });
    const mine = await apiGet(api, `/v1/stores?partnerId=${partnerId}`);
    expect(mine.json().items.map((s: { code: string }) => s.code)).toEqual(['ber-01', 'nyc-01']);
    expect((await apiGet(api, '/v1/stores')).json().items).toHaveLength(4);
    expect((await apiGet(api, '/v1/stores?partnerId=abc')).statusCode).toBe(400);
    const audit = await api.t.db
      .selectFrom('audit_log')
      .select(['action', 'changes'])
      .where('subject', '=', `store:${storeIds[0]}`)
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['store.create', 'store.update']);
    expect(audit[1]!.changes).toEqual({ timeZone: { from: 'Europe/Berlin', to: 'Europe/Vienna' } });
  });

  it('replays a call with the same key and body, and refuses the key with another body', async () => {
    const body = { code: 'tea-co', name: 'Tea Co' };
    const first = await call('/v1/partners', body, { key: 'stores-replay-0001' });
    const replay = await call('/v1/partners', body, { key: 'stores-replay-0001' });
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    const other = await call('/v1/partners', { ...body, name: 'Tea' }, { key: 'stores-replay-0001' });
    expect(other.statusCode).toBe(409);
    expect(other.json().error.code).toBe('idempotency_conflict');
  });
});

describe('store groups', () => {
  let groupId = 0;

  it('creates a group with stores of the program only, naming the unknown store', async () => {
    const unknown = await call('/v1/store-groups', {
      code: 'west',
      name: 'West',
      storeIds: [storeIds[0], 999_999],
    });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().error).toMatchObject({ code: 'store_not_found', field: 'storeIds.1' });
    const group = await call('/v1/store-groups', { code: 'west', name: 'West', storeIds: [storeIds[0]] });
    expect(group.statusCode).toBe(201);
    expect(group.json()).toMatchObject({ code: 'west', storeIds: [storeIds[0]] });
    groupId = group.json().id;
    await call('/v1/store-groups', { code: 'empty', name: 'Nothing yet' });
  });

  it('adds and removes members in one step and lists groups with their stores', async () => {
    const both = await call('/v1/store-groups/members', {
      groupId,
      add: [storeIds[1]],
      remove: [storeIds[1]],
    });
    expect(both.statusCode).toBe(422);
    expect(both.json().error.field).toBe('add.0');
    const changed = await call('/v1/store-groups/members', {
      groupId,
      add: [storeIds[1], storeIds[1]],
      remove: [storeIds[0]],
    });
    expect(changed.json().storeIds).toEqual([storeIds[1]]);
    const missing = await call('/v1/store-groups/members', { groupId: 999_999, add: [storeIds[0]] });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.field).toBe('groupId');
    const list = (await apiGet(api, '/v1/store-groups')).json().items;
    expect(list).toEqual([
      expect.objectContaining({ code: 'west', storeIds: [storeIds[1]] }),
      expect.objectContaining({ code: 'empty', storeIds: [] }),
    ]);
  });
});

describe('the reference', () => {
  it('documents the management endpoints', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/partners',
        '/v1/stores',
        '/v1/store-groups/members',
        '/v1/products/bulk',
        '/v1/products/{sku}',
        '/v1/promotions/rule-sets/publish',
        '/v1/promotions/rule-sets/{version}',
        '/v1/tiers/ladder',
      ]),
    );
    expect(
      doc.paths['/v1/stores'].post.requestBody.content['application/json'].schema.properties.timeZone,
    ).toMatchObject({ type: 'string' });
    expect((await api.app.inject({ method: 'GET', url: '/v1/docs' })).statusCode).toBe(200);
  });
});
