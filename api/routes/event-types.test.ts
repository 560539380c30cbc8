import { describe, expect, it } from 'vitest';
import { seedDemoEventTypes } from '../../db/events/demo-event-types';
import { useApiFixture } from '../../test/support/api-fixture';
import { apiGet } from '../../test/support/api-requests';
import { insertCustomer } from '../../test/support/customers';
import { tableChecksums } from '../../test/support/table-checksums';

const api = useApiFixture('event-types');

const manage = (url: string, payload: unknown) =>
  api.call(url, payload, { token: api.demo.backOfficeApiKey });

const cartSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    cartId: { type: 'string', minLength: 1 },
    total: { type: 'integer', minimum: 0 },
    currency: { enum: ['RUB', 'EUR'] },
    items: {
      type: 'array',
      maxItems: 100,
      items: {
        type: 'object',
        properties: { sku: { type: 'string' }, quantity: { type: 'number', exclusiveMinimum: 0 } },
        required: ['sku', 'quantity'],
        additionalProperties: false,
      },
    },
    updatedAt: { type: 'string', format: 'date-time' },
  },
  required: ['cartId', 'total'],
};

describe('event types', () => {
  it('registers the standard types and custom ones, and lists them', async () => {
    for (const type of ['cart.updated', 'app.opened', 'order.placed', 'social.shared', 'quiz.completed']) {
      const response = await manage('/v1/event-types', {
        type,
        description: `${type} events`,
        propertiesSchema: type === 'cart.updated' ? cartSchema : { type: 'object' },
      });
      expect(response.statusCode).toBe(201);
      expect(response.json()).toMatchObject({ type, version: 1, status: 'active' });
    }
    const list = await apiGet(api, '/v1/event-types');
    expect(list.statusCode).toBe(200);
    expect(list.json().eventTypes.map((t: { type: string }) => t.type)).toEqual([
      'app.opened',
      'cart.updated',
      'order.placed',
      'quiz.completed',
      'social.shared',
    ]);
    expect(list.json().eventTypes[1].propertiesSchema).toEqual(cartSchema);
  });

  it('refuses a type registered before with 409 naming type', async () => {
    const response = await manage('/v1/event-types', {
      type: 'app.opened',
      propertiesSchema: { type: 'object' },
    });
    expect(response.statusCode).toBe(409);
    expect(response.json().error).toMatchObject({ code: 'event_type_exists', field: 'type' });
  });

  it.each([
    [{ type: 'array' }, 'propertiesSchema.type'],
    [{ type: 'object', properties: { a: { type: 'strin' } } }, 'propertiesSchema.properties.a.type'],
    [
      { type: 'object', properties: { a: { type: 'string', minLength: -1 } } },
      'propertiesSchema.properties.a.minLength',
    ],
    [
      { type: 'object', properties: { a: { type: 'integer', minLength: 1 } } },
      'propertiesSchema.properties.a.minLength',
    ],
    [
      { type: 'object', properties: { a: { type: 'string', pattern: '(' } } },
      'propertiesSchema.properties.a.pattern',
    ],
    [{ type: 'object', properties: { a: { $ref: '#/$defs/x' } } }, 'propertiesSchema.properties.a.$ref'],
    [
      { type: 'object', properties: { a: { type: 'string', oneOf: [] } } },
      'propertiesSchema.properties.a.oneOf',
    ],
    [{ type: 'object', required: ['missing'] }, 'propertiesSchema.required.0'],
    [
      {
        type: 'object',
        properties: {
          l: {
            type: 'array',
            items: { type: 'object', properties: { q: { type: 'number', minimum: 5, maximum: 1 } } },
          },
        },
      },
      'propertiesSchema.properties.l.items.properties.q.minimum',
    ],
    [
      { type: 'object', properties: { d: { type: 'string', format: 'colour' } } },
      'propertiesSchema.properties.d.format',
    ],
    [{ $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' }, 'propertiesSchema.$schema'],
  ])(
    'refuses an invalid JSON Schema with 422 naming its place, writing nothing (%#)',
    async (propertiesSchema, field) => {
      const before = await tableChecksums(api.t.db);
      const response = await manage('/v1/event-types', { type: 'bad.schema', propertiesSchema });
      expect(response.statusCode).toBe(422);
      expect(response.json().error).toMatchObject({ code: 'invalid_properties_schema', field });
      expect(await tableChecksums(api.t.db)).toEqual(before);
    },
  );

  it('checks events against the registered schema, and against the new version after an update', async () => {
    await insertCustomer(api.t.db, api.demo.programId, 'cart-1');
    const cart = (properties: object) =>
      api.call('/v1/events', {
        customer: { kind: 'external', value: 'cart-1' },
        type: 'cart.updated',
        occurredAt: '2026-11-25T10:00:00+03:00',
        properties,
      });
    const good = {
      cartId: 'c1',
      total: 100,
      items: [{ sku: 'A', quantity: 1 }],
      updatedAt: '2026-11-25T10:00:00Z',
    };
    expect((await cart(good)).statusCode).toBe(202);
    const refusals = [
      [{ ...good, items: [{ sku: 'A', quantity: 0 }] }, 'properties.items.0.quantity'],
      [{ ...good, items: [{ sku: 'A', quantity: 1, colour: 'red' }] }, 'properties.items.0.colour'],
      [{ ...good, currency: 'USD' }, 'properties.currency'],
      [{ ...good, updatedAt: 'yesterday' }, 'properties.updatedAt'],
      [{ total: 1 }, 'properties.cartId'],
    ] as const;
    for (const [properties, field] of refusals) {
      const response = await cart(properties);
      expect(response.statusCode, field).toBe(422);
      expect(response.json().error).toMatchObject({ code: 'properties_mismatch', field });
    }

    const update = await manage('/v1/event-types/update', {
      type: 'cart.updated',
      propertiesSchema: { ...cartSchema, required: ['cartId', 'total', 'currency'] },
    });
    expect(update.statusCode).toBe(200);
    expect(update.json()).toMatchObject({ version: 2 });
    const now = await cart(good);
    expect(now.statusCode).toBe(422);
    expect(now.json().error.field).toBe('properties.currency');
    const accepted = await cart({ ...good, currency: 'RUB' });
    const row = await api.t.db
      .selectFrom('customer_events')
      .select('event_type_version')
      .where('event_id', '=', accepted.json().eventId)
      .executeTakeFirstOrThrow();
    expect(row.event_type_version).toBe(2);
  });

  it('refuses events of an archived type with 422 naming type until it is restored', async () => {
    await insertCustomer(api.t.db, api.demo.programId, 'arch-1');
    const send = () =>
      api.call('/v1/events', {
        customer: { kind: 'external', value: 'arch-1' },
        type: 'social.shared',
        occurredAt: '2026-11-25T10:00:00+03:00',
      });
    const archived = await manage('/v1/event-types/archive', { type: 'social.shared' });
    expect(archived.json()).toMatchObject({ status: 'archived' });
    const refused = await send();
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error).toMatchObject({ code: 'event_type_archived', field: 'type' });
    expect((await apiGet(api, '/v1/event-types?status=archived')).json().eventTypes).toHaveLength(1);
    await manage('/v1/event-types/restore', { type: 'social.shared' });
    expect((await send()).statusCode).toBe(202);
  });

  it('answers 404 naming type for an update of a type never registered', async () => {
    const response = await manage('/v1/event-types/update', {
      type: 'nope',
      propertiesSchema: { type: 'object' },
    });
    expect(response.statusCode).toBe(404);
    expect(response.json().error).toMatchObject({ code: 'event_type_not_found', field: 'type' });
  });

  it('is managed with a back-office scope: the till key is refused', async () => {
    const response = await api.call('/v1/event-types', {
      type: 'till.type',
      propertiesSchema: { type: 'object' },
    });
    expect(response.statusCode).toBe(403);
    expect((await apiGet(api, '/v1/event-types', api.demo.tillApiKey)).statusCode).toBe(403);
  });

  it('audits every change with its actor', async () => {
    const rows = await api.t.db
      .selectFrom('audit_log')
      .select(['action', 'subject', 'actor'])
      .where('subject', '=', 'event_type:cart.updated')
      .execute();
    expect(rows.map((row) => row.action)).toEqual(['event_type.created', 'event_type.updated']);
    expect(rows[0]!.actor).toMatch(/^api-key:\d+$/);
  });

  it("seeds the demo's event types with valid schemas, keeping types registered already", async () => {
    await seedDemoEventTypes(api.t.db, api.demo.programId);
    await seedDemoEventTypes(api.t.db, api.demo.programId);
    const types = (await apiGet(api, '/v1/event-types?status=all')).json().eventTypes as Array<{
      type: string;
      updatedBy: string;
    }>;
    expect(types.map((t) => t.type)).toEqual([
      'app.opened',
      'cart.updated',
      'order.placed',
      'quiz.completed',
      'social.shared',
    ]);
    expect(types.every((t) => t.updatedBy !== 'demo')).toBe(true);
  });
});
