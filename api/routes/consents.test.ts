import { describe, expect, it } from 'vitest';
import { useApiFixture } from '../../test/support/api-fixture';
import { insertCustomer } from '../../test/support/customers';

const api = useApiFixture('consents');

const backOffice = (url: string, payload: unknown, key?: string) =>
  api.call(url, payload, { token: api.demo.backOfficeApiKey, ...(key ? { key } : {}) });

let seq = 0;
async function newCustomer() {
  const externalId = `consent-${(seq += 1)}`;
  const id = await insertCustomer(api.t.db, api.demo.programId, externalId);
  return { id, customer: { kind: 'external', value: externalId } };
}

const ledgerRows = async (customerId: number) =>
  (
    await api.t.db
      .selectFrom('customer_consents')
      .select('id')
      .where('customer_id', '=', customerId)
      .execute()
  ).length;

describe('consent routes', () => {
  it('keeps a grant and its withdrawal in the ledger; the state is the withdrawal', async () => {
    const { id, customer } = await newCustomer();
    const grant = await backOffice('/v1/customers/consents', {
      customer,
      changes: [{ channel: 'sms', granted: true }],
      source: 'web',
      occurredAt: '2026-03-01T10:00:00+03:00',
    });
    expect(grant.statusCode).toBe(200);
    expect(grant.json()).toMatchObject({
      customerId: id,
      legalBasis: 'consent',
      consents: [{ channel: 'sms', topic: 'all', granted: true, occurredAt: '2026-03-01T07:00:00.000Z' }],
    });
    expect(grant.json().marketing).toContainEqual({
      channel: 'sms',
      topic: 'all',
      granted: true,
      effective: 'allowed',
    });

    const withdraw = await backOffice('/v1/customers/consents', {
      customer,
      changes: [{ channel: 'sms', topic: 'all', granted: false }],
      source: 'agent',
      occurredAt: '2026-03-02T10:00:00+03:00',
    });
    expect(withdraw.statusCode).toBe(200);
    expect(withdraw.json().consents).toEqual([
      { channel: 'sms', topic: 'all', granted: false, occurredAt: '2026-03-02T07:00:00.000Z' },
    ]);

    const ledger = await backOffice('/v1/customers/consents/ledger', { customer });
    expect(ledger.statusCode).toBe(200);
    expect(ledger.json()).toMatchObject({
      items: [
        {
          channel: 'sms',
          topic: 'all',
          granted: false,
          source: 'agent',
          occurredAt: '2026-03-02T07:00:00.000Z',
        },
        {
          channel: 'sms',
          topic: 'all',
          granted: true,
          source: 'web',
          occurredAt: '2026-03-01T07:00:00.000Z',
        },
      ],
      nextCursor: null,
    });
    expect(ledger.json().items[0].actor).toMatch(/^api-key:\d+$/);
    expect(Date.parse(ledger.json().items[0].recordedAt)).toBeGreaterThan(Date.parse('2026-03-02T07:00:00Z'));

    const read = await backOffice('/v1/customers/consents/read', { customer });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(withdraw.json());
    expect(read.json().marketing[0]).toEqual({
      channel: 'sms',
      topic: 'all',
      granted: false,
      effective: 'not allowed: consent withdrawn',
    });
    expect(read.json().marketing[1]).toEqual({
      channel: 'email',
      topic: 'all',
      granted: null,
      effective: 'not allowed: no consent',
    });

    const page = await backOffice('/v1/customers/consents/ledger', { customer, limit: 1 });
    expect(page.json().items).toHaveLength(1);
    const rest = await backOffice('/v1/customers/consents/ledger', {
      customer,
      limit: 1,
      cursor: page.json().nextCursor,
    });
    expect(rest.json().items.map((i: { source: string }) => i.source)).toEqual(['web']);
  });

  it('keeps a late-arriving older statement in the ledger without overriding the newer one', async () => {
    const { id, customer } = await newCustomer();
    await backOffice('/v1/customers/consents', {
      customer,
      changes: [
        { channel: 'email', granted: true },
        { channel: 'sms', topic: 'promotions', granted: false },
      ],
      source: 'web',
      occurredAt: '2026-03-10T12:00:00Z',
    });
    const late = await backOffice('/v1/customers/consents', {
      customer,
      changes: [
        { channel: 'email', granted: false },
        { channel: 'sms', topic: 'promotions', granted: true },
        { channel: 'viber', granted: true },
      ],
      source: 'import',
      occurredAt: '2026-02-01T12:00:00Z',
    });
    expect(late.statusCode).toBe(200);
    expect(late.json().consents).toEqual([
      { channel: 'email', topic: 'all', granted: true, occurredAt: '2026-03-10T12:00:00.000Z' },
      { channel: 'sms', topic: 'promotions', granted: false, occurredAt: '2026-03-10T12:00:00.000Z' },
      { channel: 'viber', topic: 'all', granted: true, occurredAt: '2026-02-01T12:00:00.000Z' },
    ]);
    expect(await ledgerRows(id)).toBe(5);
  });

  it('answers what the legal basis makes of no statement', async () => {
    const { customer } = await newCustomer();
    const effects = async () =>
      (await backOffice('/v1/customers/consents/read', { customer }))
        .json()
        .marketing.map((m: { effective: string }) => m.effective);
    expect(await effects()).toEqual(Array(5).fill('not allowed: no consent'));
    const settings = await api.t.db
      .selectFrom('programs')
      .select('settings')
      .where('id', '=', api.demo.programId)
      .executeTakeFirstOrThrow();
    await api.t.db
      .updateTable('programs')
      .set({
        settings: JSON.stringify({ ...settings.settings, messaging: { legalBasis: 'legitimate-interest' } }),
      })
      .where('id', '=', api.demo.programId)
      .execute();
    try {
      await api.changesSeen();
      expect(await effects()).toEqual(Array(5).fill('allowed'));
    } finally {
      await api.t.db
        .updateTable('programs')
        .set({ settings: JSON.stringify(settings.settings) })
        .where('id', '=', api.demo.programId)
        .execute();
      await api.changesSeen();
    }
  });

  it.each([
    [{ changes: [{ channel: 'pigeon', granted: true }] }, 'body.changes.0.channel'],
    [{ changes: [{ channel: 'sms', topic: 'Promotions!', granted: true }] }, 'body.changes.0.topic'],
    [{ changes: [] }, 'body.changes'],
    [
      {
        changes: [
          { channel: 'sms', granted: true },
          { channel: 'sms', topic: 'all', granted: false },
        ],
      },
      'body.changes.1',
    ],
    [{ source: 'link' }, 'body.source'],
    [{ occurredAt: '2026-03-01T10:00:00' }, 'body.occurredAt'],
  ])('refuses bad input with a 400 naming the field (%#)', async (override, field) => {
    const { id, customer } = await newCustomer();
    const response = await backOffice('/v1/customers/consents', {
      customer,
      changes: [{ channel: 'sms', granted: true }],
      source: 'api',
      occurredAt: '2026-03-01T10:00:00Z',
      ...override,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.field).toBe(field);
    expect(await ledgerRows(id)).toBe(0);
  });

  it("holds occurredAt to the program's business-time window (422 naming it)", async () => {
    const { id, customer } = await newCustomer();
    const response = await backOffice('/v1/customers/consents', {
      customer,
      changes: [{ channel: 'sms', granted: true }],
      source: 'paper',
      occurredAt: '1990-01-01T00:00:00Z',
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatchObject({
      code: 'business_time_out_of_range',
      field: 'body.occurredAt',
    });
    expect(await ledgerRows(id)).toBe(0);
  });

  it("does not find another program's customer (404)", async () => {
    const other = await api.t.db
      .insertInto('programs')
      .values({ code: 'consents-other', name: 'Other', currency: 'RUB', time_zone: 'Europe/Moscow' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const stranger = await insertCustomer(api.t.db, other.id, 'stranger');
    const customer = { kind: 'external', value: 'stranger' };
    const response = await backOffice('/v1/customers/consents', {
      customer,
      changes: [{ channel: 'sms', granted: true }],
      source: 'api',
      occurredAt: '2026-03-01T10:00:00Z',
    });
    expect(response.statusCode).toBe(404);
    expect(response.json().error).toMatchObject({ code: 'customer_not_found', field: 'customer' });
    for (const url of ['/v1/customers/consents/read', '/v1/customers/consents/ledger']) {
      expect((await backOffice(url, { customer })).statusCode).toBe(404);
    }
    expect(await ledgerRows(stranger)).toBe(0);
  });

  it('replays a repeated key with the same answer and writes nothing more', async () => {
    const { id, customer } = await newCustomer();
    const body = {
      customer,
      changes: [{ channel: 'telegram', topic: 'news', granted: true }],
      source: 'api',
      occurredAt: '2026-03-05T09:00:00Z',
    };
    const first = await backOffice('/v1/customers/consents', body, 'consents-replay-1');
    expect(first.statusCode).toBe(200);
    expect(await ledgerRows(id)).toBe(1);
    const again = await backOffice('/v1/customers/consents', body, 'consents-replay-1');
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await ledgerRows(id)).toBe(1);
  });

  it('asks for consents:write to record and customers:read to read', async () => {
    const { customer } = await newCustomer();
    const till = await api.call('/v1/customers/consents', {
      customer,
      changes: [{ channel: 'sms', granted: true }],
      source: 'api',
      occurredAt: '2026-03-01T10:00:00Z',
    });
    expect(till.statusCode).toBe(403);
    expect((await api.call('/v1/customers/consents/read', { customer })).statusCode).toBe(200);
  });

  it('records the consents given on the registration form as statements of the registration', async () => {
    const registered = await api.call('/v1/customers', {
      channel: 'paper',
      registeredAt: '2026-05-01T10:00:00+03:00',
      phone: '+79035557788',
      consents: [
        { channel: 'sms', granted: true },
        { channel: 'email', topic: 'news', granted: false },
      ],
    });
    expect(registered.statusCode).toBe(201);
    const ledger = await backOffice('/v1/customers/consents/ledger', {
      customer: { kind: 'phone', value: '+79035557788' },
    });
    expect(
      ledger
        .json<{ items: Array<Record<string, unknown>> }>()
        .items.map(({ channel, topic, granted, source, occurredAt }) => ({
          channel,
          topic,
          granted,
          source,
          occurredAt,
        })),
    ).toEqual([
      {
        channel: 'email',
        topic: 'news',
        granted: false,
        source: 'registration',
        occurredAt: '2026-05-01T07:00:00.000Z',
      },
      {
        channel: 'sms',
        topic: 'all',
        granted: true,
        source: 'registration',
        occurredAt: '2026-05-01T07:00:00.000Z',
      },
    ]);
  });
});
