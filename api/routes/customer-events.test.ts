import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordCustomerEvents } from '../../db/events';
import { programSettingsOf } from '../../db/program-settings';
import type { IdentifierKind } from '../../engine/contracts/identifier';
import { useApiFixture } from '../../test/support/api-fixture';
import { tableChecksums } from '../../test/support/table-checksums';

const api = useApiFixture('events');

const at = '2026-11-25T10:00:00+03:00';
let customerSeq = 0;

/** A customer with the given identifiers (card kinds on one active card), written directly. */
async function customerWith(identifiers: Array<[IdentifierKind, string]>): Promise<number> {
  const db = api.t.db;
  const programId = api.demo.programId;
  const { id } = await db
    .insertInto('customers')
    .values({
      program_id: programId,
      referral_code: `EVT${(customerSeq += 1)}`,
      registration_channel: 'import',
      registered_at: new Date('2026-01-01T00:00:00Z'),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const cardNumber = identifiers.find(([kind]) => kind === 'card')?.[1];
  let cardId: number | null = null;
  if (cardNumber) {
    const type = await db
      .insertInto('card_types')
      .values({ program_id: programId, code: `events-${customerSeq}`, name: 'Events test card' })
      .returning('id')
      .executeTakeFirstOrThrow();
    cardId = (
      await db
        .insertInto('cards')
        .values({
          program_id: programId,
          card_type_id: type.id,
          number: cardNumber,
          status: 'active',
          customer_id: id,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  }
  await db
    .insertInto('identifiers')
    .values(
      identifiers.map(([kind, value]) => ({
        program_id: programId,
        kind,
        value,
        customer_id: id,
        card_id: kind === 'card' || kind === 'barcode' ? cardId : null,
      })),
    )
    .execute();
  return id;
}

const post = (url: string, payload: unknown, key?: string) => api.call(url, payload, key ? { key } : {});
const backOffice = (url: string, payload: unknown) =>
  api.call(url, payload, { token: api.demo.backOfficeApiKey });

const eventRow = (eventId: string) =>
  api.t.db
    .selectFrom('customer_events')
    .selectAll()
    .where('event_id', '=', eventId)
    .executeTakeFirstOrThrow();
const outboxRow = (eventId: string) =>
  api.t.db.selectFrom('outbox').selectAll().where('event_id', '=', eventId).executeTakeFirstOrThrow();

let customerId: number;

beforeAll(async () => {
  for (const [type, schema] of [
    ['app.opened', { type: 'object', properties: { screen: { type: 'string' } } }],
    [
      'order.placed',
      {
        type: 'object',
        properties: {
          total: { type: 'integer', minimum: 0 },
          lines: {
            type: 'array',
            items: {
              type: 'object',
              properties: { sku: { type: 'string' } },
              required: ['sku'],
            },
          },
        },
        required: ['total'],
      },
    ],
  ] as const) {
    const response = await backOffice('/v1/event-types', { type, propertiesSchema: schema });
    expect(response.statusCode).toBe(201);
  }
  customerId = await customerWith([
    ['card', '7000000000000042'],
    ['barcode', 'BC-42'],
    ['phone', '+79161234567'],
    ['email', 'anna@example.com'],
    ['external', '42'],
  ]);
});

const event = { customer: { kind: 'external', value: '42' }, type: 'app.opened', occurredAt: at };

describe('POST /v1/events: whom an event names', () => {
  it.each([
    ['card', '7000000000000042'],
    ['barcode', 'BC-42'],
    ['magstripe', ';7000000000000042=2812?'],
    ['phone', '8 (916) 123-45-67'],
    ['email', 'Anna@Example.com'],
    ['external', '42'],
  ])('resolves the customer by %s and sends the event to that customer id stream', async (kind, value) => {
    const response = await post('/v1/events', { ...event, customer: { kind, value } });
    expect(response.statusCode).toBe(202);
    const body = response.json();
    expect(body).toMatchObject({ status: 'accepted', customerId, anonymousId: null });
    const row = await eventRow(body.eventId);
    expect(row).toMatchObject({
      customer_id: customerId,
      anonymous_id: null,
      customer_key: String(customerId),
    });
    expect((await outboxRow(body.eventId)).stream).toBe(`customer:${api.demo.programId}:${customerId}`);
  });

  it('does not take a customer id for an external id: an unknown identifier is a 404 naming customer, writing nothing', async () => {
    expect(customerId).not.toBe(42);
    const before = await tableChecksums(api.t.db);
    const response = await post('/v1/events', {
      ...event,
      customer: { kind: 'external', value: String(customerId) },
    });
    expect(response.statusCode).toBe(404);
    expect(response.json().error).toMatchObject({ code: 'customer_not_found', field: 'customer' });
    expect(await tableChecksums(api.t.db)).toEqual(before);
  });

  it('records an anonymous visitor on the anon:<id> stream', async () => {
    const response = await post('/v1/events', {
      anonymousId: 'visitor-1',
      type: 'app.opened',
      occurredAt: at,
    });
    expect(response.statusCode).toBe(202);
    const body = response.json();
    expect(body).toMatchObject({ status: 'accepted', customerId: null, anonymousId: 'visitor-1' });
    expect(await eventRow(body.eventId)).toMatchObject({ customer_id: null, anonymous_id: 'visitor-1' });
    expect(await outboxRow(body.eventId)).toMatchObject({
      stream: `customer:${api.demo.programId}:anon:visitor-1`,
      type: 'customer.event.recorded',
    });
  });

  it('stores an unknown identifier as the anonymous visitor <kind>:<value> when the program says so, the customer registering with it later takes its events', async () => {
    const setting = await backOffice('/v1/program/settings', {
      settings: { events: { unknownCustomers: 'anonymous' } },
      occurredAt: at,
    });
    expect(setting.statusCode).toBe(200);
    try {
      const response = await post('/v1/events', { ...event, customer: { kind: 'external', value: 'E-77' } });
      expect(response.statusCode).toBe(202);
      expect(response.json()).toMatchObject({ customerId: null, anonymousId: 'external:E-77' });
      // When the customer registers with that identifier, the event becomes theirs.
      const registered = await post('/v1/customers', {
        channel: 'till',
        registeredAt: at,
        phone: '+79169990077',
        externalId: 'E-77',
      });
      expect(registered.statusCode, registered.body).toBe(201);
      expect(await eventRow(response.json().eventId)).toMatchObject({
        customer_id: registered.json().customerId,
        anonymous_id: 'external:E-77',
      });
      const later = await post('/v1/events', { ...event, customer: { kind: 'external', value: 'E-77' } });
      expect(later.json()).toMatchObject({ customerId: registered.json().customerId, anonymousId: null });
    } finally {
      await backOffice('/v1/program/settings', {
        settings: { events: { unknownCustomers: 'refuse' } },
        occurredAt: at,
      });
    }
    const refused = await post('/v1/events', { ...event, customer: { kind: 'external', value: 'E-78' } });
    expect(refused.statusCode).toBe(404);
  });

  it('attaches a visitor’s anonymous events when they identify, and resolves the visitor to the customer after', async () => {
    const visitor = `visitor-${randomUUID()}`;
    const before = [];
    for (let i = 0; i < 3; i += 1)
      before.push(
        (await post('/v1/events', { anonymousId: visitor, type: 'app.opened', occurredAt: at })).json()
          .eventId,
      );
    const identify = { anonymousId: visitor, customer: { kind: 'phone', value: '+79161234567' } };
    const first = await post('/v1/events/identify', identify);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({
      anonymousId: visitor,
      customerId,
      attachedEvents: 3,
      alreadyIdentified: false,
    });
    const rows = await api.t.db
      .selectFrom('customer_events')
      .select(['customer_id', 'anonymous_id'])
      .where('event_id', 'in', before)
      .execute();
    expect(rows).toEqual(before.map(() => ({ customer_id: customerId, anonymous_id: visitor })));
    const identified = await api.t.db
      .selectFrom('outbox')
      .select(['stream', 'payload'])
      .where('type', '=', 'customer.visitor.identified')
      .execute();
    expect(identified).toContainEqual({
      stream: `customer:${api.demo.programId}:${customerId}`,
      payload: { customerId, anonymousId: visitor, attachedEvents: 3 },
    });

    const after = await post('/v1/events', { anonymousId: visitor, type: 'app.opened', occurredAt: at });
    expect(after.json()).toMatchObject({ customerId, anonymousId: visitor });
    expect((await outboxRow(after.json().eventId)).stream).toBe(
      `customer:${api.demo.programId}:${customerId}`,
    );

    const again = await post('/v1/events/identify', identify);
    expect(again.json()).toEqual({
      anonymousId: visitor,
      customerId,
      attachedEvents: 0,
      alreadyIdentified: true,
    });
    const other = await customerWith([['external', `other-${visitor}`]]);
    const elsewhere = await post('/v1/events/identify', {
      anonymousId: visitor,
      customer: { kind: 'external', value: `other-${visitor}` },
    });
    expect(elsewhere.statusCode).toBe(409);
    expect(elsewhere.json().error).toMatchObject({
      code: 'visitor_identified_otherwise',
      field: 'anonymousId',
    });
    expect(other).toBeGreaterThan(0);
  });

  it("an identify waits for a transaction recording the visitor's event, then attaches that event too", async () => {
    const visitor = `visitor-${randomUUID()}`;
    const settings = await programSettingsOf(api.t.db, api.demo.programId);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let written!: () => void;
    const wrote = new Promise<void>((resolve) => (written = resolve));
    const recording = api.t.db.transaction().execute(async (trx) => {
      const [outcome] = await recordCustomerEvents(trx, {
        programId: api.demo.programId,
        requestId: null,
        settings,
        events: [{ anonymousId: visitor, type: 'app.opened', occurredAt: at, properties: {} }],
      });
      written();
      await held;
      return outcome as { eventId: string };
    });
    await wrote;
    let finished = false;
    const identify = post('/v1/events/identify', {
      anonymousId: visitor,
      customer: { kind: 'external', value: '42' },
    }).then((response) => {
      finished = true;
      return response;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(finished).toBe(false);
    release();
    const { eventId } = await recording;
    expect((await identify).json()).toMatchObject({ customerId, attachedEvents: 1 });
    expect((await eventRow(eventId)).customer_id).toBe(customerId);
  });

  it('refuses to identify as an unknown customer with 404 naming customer', async () => {
    const response = await post('/v1/events/identify', {
      anonymousId: 'visitor-x',
      customer: { kind: 'external', value: 'nobody' },
    });
    expect(response.statusCode).toBe(404);
    expect(response.json().error).toMatchObject({ code: 'customer_not_found', field: 'customer' });
  });
});

describe('POST /v1/events: types, properties and event ids', () => {
  it('refuses an unregistered type with 422 naming type, writing nothing', async () => {
    const before = await tableChecksums(api.t.db);
    const response = await post('/v1/events', { ...event, type: 'social.shared' });
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatchObject({ code: 'event_type_not_registered', field: 'type' });
    expect(await tableChecksums(api.t.db)).toEqual(before);
  });

  it.each([
    [{ total: -1 }, 'properties.total'],
    [{ total: 'ten' }, 'properties.total'],
    [{}, 'properties.total'],
    [{ total: 1, lines: [{ sku: 'A' }, { qty: 1 }] }, 'properties.lines.1.sku'],
  ])(
    'refuses properties that do not match the schema with 422 naming the path (%#)',
    async (properties, field) => {
      const before = await tableChecksums(api.t.db);
      const response = await post('/v1/events', { ...event, type: 'order.placed', properties });
      expect(response.statusCode).toBe(422);
      expect(response.json().error).toMatchObject({ code: 'properties_mismatch', field });
      expect(await tableChecksums(api.t.db)).toEqual(before);
    },
  );

  it('records matching properties as the attributes column with the type version', async () => {
    const properties = { total: 1500, lines: [{ sku: 'MILK-1L' }] };
    const response = await post('/v1/events', { ...event, type: 'order.placed', properties });
    expect(response.statusCode).toBe(202);
    expect(await eventRow(response.json().eventId)).toMatchObject({
      type: 'order.placed',
      attributes: properties,
      event_type_version: 1,
    });
  });

  it('replays an eventId under a new Idempotency-Key: same event, no second row or outbox row', async () => {
    const eventId = randomUUID();
    const first = await post('/v1/events', { ...event, eventId, properties: { screen: 'home' } });
    expect(first.statusCode).toBe(202);
    expect(first.json()).toMatchObject({ eventId, status: 'accepted' });
    const before = await tableChecksums(api.t.db);
    const again = await post('/v1/events', {
      ...event,
      customer: { kind: 'email', value: 'anna@example.com' },
      eventId: eventId.toUpperCase(),
      occurredAt: '2026-11-25T07:00:00Z',
      properties: { screen: 'home' },
    });
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual({
      ...first.json(),
      status: 'replayed',
      occurredAt: '2026-11-25T07:00:00.000Z',
    });
    // Only the new call's Idempotency-Key is stored, with its answer.
    const after = await tableChecksums(api.t.db);
    expect({ ...after, idempotency_keys: '' }).toEqual({ ...before, idempotency_keys: '' });

    const conflict = await post('/v1/events', { ...event, eventId, properties: { screen: 'cart' } });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().error).toMatchObject({ code: 'event_id_conflict', field: 'eventId' });
  });

  it('replays the stored answer for the same Idempotency-Key and body, and 409s another body', async () => {
    const first = await post('/v1/events', event, 'evt-idem-0001');
    const before = await tableChecksums(api.t.db);
    const again = await post('/v1/events', event, 'evt-idem-0001');
    expect(again.statusCode).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    const other = await post('/v1/events', { ...event, type: 'order.placed' }, 'evt-idem-0001');
    expect(other.statusCode).toBe(409);
    expect(other.json().error).toMatchObject({
      code: 'idempotency_conflict',
      field: 'headers.idempotency-key',
    });
    expect(await tableChecksums(api.t.db)).toEqual(before);
  });

  it('stores the business time beside the recorded time and holds it to the program window', async () => {
    const response = await post('/v1/events', event);
    const row = await eventRow(response.json().eventId);
    expect(row.occurred_at.toISOString()).toBe('2026-11-25T07:00:00.000Z');
    expect(response.json().recordedAt).toBe(row.recorded_at.toISOString());
    const far = await post('/v1/events', { ...event, occurredAt: '2000-01-01T00:00:00Z' });
    expect(far.statusCode).toBe(422);
    expect(far.json().error).toMatchObject({ code: 'business_time_out_of_range', field: 'body.occurredAt' });
  });

  it.each([
    [{ ...event, occurredAt: '2026-11-25T10:00:00' }, 'body.occurredAt'],
    [{ ...event, type: 'Bad Type' }, 'body.type'],
    [{ ...event, customer: { kind: 'card', value: '' } }, 'body.customer.value'],
    [{ ...event, customer: { kind: 'nickname', value: 'x' } }, 'body.customer.kind'],
    [{ ...event, anonymousId: 'v-1' }, 'body.customer'],
    [{ type: 'app.opened', occurredAt: at }, 'body.customer'],
    [{ ...event, eventId: 'not-a-uuid' }, 'body.eventId'],
    [{ ...event, extra: 1 }, 'body'],
  ])('rejects bad input with 400 naming the field (%#)', async (body, field) => {
    const before = await tableChecksums(api.t.db);
    const response = await post('/v1/events', body);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'validation_failed', field } });
    expect(await tableChecksums(api.t.db)).toEqual(before);
  });

  it('requires an API key with the events:write scope and an idempotency key', async () => {
    const noKey = await api.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${api.demo.tillApiKey}` },
      payload: event,
    });
    expect(noKey.statusCode).toBe(400);
    expect(noKey.json().error.field).toBe('headers.idempotency-key');
    const anonymous = await api.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'idempotency-key': 'evt-000009' },
      payload: event,
    });
    expect(anonymous.statusCode).toBe(401);
  });

  it('describes every events endpoint in the OpenAPI document and the reference page', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    const single = doc.paths['/v1/events'].post.requestBody.content['application/json'].schema;
    expect(single.required).toEqual(expect.arrayContaining(['type', 'occurredAt']));
    expect(single.properties.occurredAt['x-business-time']).toBe(true);
    for (const path of [
      '/v1/events/batch',
      '/v1/events/identify',
      '/v1/event-types',
      '/v1/event-types/update',
    ])
      expect(doc.paths[path]?.post, path).toBeDefined();
    expect(doc.paths['/v1/event-types'].get).toBeDefined();
    expect(doc.paths['/v1/events/batch'].post.description).toContain('events.<i>.<field>');
    const page = await api.app.inject({ method: 'GET', url: '/v1/docs' });
    expect(page.body).toContain('POST /v1/events/batch');
    expect(page.body).toContain('<code>occurredAt</code> *');
  });
});
