import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTestProgram } from '../../test/support/program';
import { testApi } from '../../test/support/api';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import type { ApiApp } from '../types';

let t: TestDatabase;
let app: ApiApp;
let token: string;

beforeAll(async () => {
  t = await createTestDatabase();
  token = (await seedTestProgram(t.db)).tillApiKey;
  app = await testApi(t.db);
});
afterAll(async () => {
  await app.close();
  await t.drop();
});

const event = {
  customer: 'C-42',
  type: 'app.opened',
  occurredAt: '2026-11-25T10:00:00+03:00',
  attributes: { screen: 'home' },
};

function post(body: unknown, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'evt-000001', ...headers },
    payload: body as object,
  });
}

const counts = async () => ({
  events: (await t.db.selectFrom('customer_events').selectAll().execute()).length,
  outbox: (await t.db.selectFrom('outbox').selectAll().execute()).length,
});

describe('POST /v1/events', () => {
  it('records the event with its business time and an outbox row in one transaction', async () => {
    const response = await post(event);
    expect(response.statusCode).toBe(202);
    const body = response.json();
    expect(body).toMatchObject({ customer: 'C-42', type: 'app.opened', occurredAt: event.occurredAt });
    const row = await t.db
      .selectFrom('customer_events')
      .selectAll()
      .where('event_id', '=', body.eventId)
      .executeTakeFirstOrThrow();
    expect(row.occurred_at.toISOString()).toBe('2026-11-25T07:00:00.000Z');
    const outbox = await t.db
      .selectFrom('outbox')
      .selectAll()
      .where('event_id', '=', body.eventId)
      .executeTakeFirstOrThrow();
    expect(outbox).toMatchObject({
      stream: `customer:${row.program_id}:C-42`,
      type: 'customer.event.recorded',
    });
    expect(outbox.request_id).toBe(response.headers['x-request-id']);
  });

  it('replays the stored answer for the same key and body', async () => {
    const before = await counts();
    const again = await post(event);
    expect(again.statusCode).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await counts()).toEqual(before);
  });

  it('answers 409 for the same key with another body', async () => {
    const before = await counts();
    const response = await post({ ...event, customer: 'C-43' });
    expect(response.statusCode).toBe(409);
    expect(response.json().error).toMatchObject({
      code: 'idempotency_conflict',
      field: 'headers.idempotency-key',
    });
    expect(await counts()).toEqual(before);
  });

  it.each([
    [{ ...event, occurredAt: '2026-11-25T10:00:00' }, 'body.occurredAt'],
    [{ ...event, type: 'Bad Type' }, 'body.type'],
    [{ ...event, customer: '' }, 'body.customer'],
    [{ ...event, extra: 1 }, 'body'],
    [{ type: 'x' }, 'body.customer'],
  ])('rejects bad input with 400 naming the field (%#)', async (body, field) => {
    const before = await counts();
    const response = await post(body, {
      'idempotency-key': `bad-${Math.random().toString(36).slice(2, 10)}`,
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'validation_failed', field } });
    expect(await counts()).toEqual(before);
  });

  it('requires an idempotency key, an API key and the scope', async () => {
    const noKey = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${token}` },
      payload: event,
    });
    expect(noKey.statusCode).toBe(400);
    expect(noKey.json().error.field).toBe('headers.idempotency-key');
    const anonymous = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'idempotency-key': 'evt-000009' },
      payload: event,
    });
    expect(anonymous.statusCode).toBe(401);
    const forged = await post(event, { authorization: `Bearer ${token.slice(0, -2)}xx` });
    expect(forged.statusCode).toBe(401);
  });

  it('answers malformed JSON and unknown routes with the error shape, never 500', async () => {
    const malformed = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: {
        authorization: `Bearer ${token}`,
        'idempotency-key': 'evt-000010',
        'content-type': 'application/json',
      },
      payload: '{bad',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({
      error: { code: 'invalid_json', field: 'body' },
      requestId: expect.any(String),
    });
    const missing = await app.inject({ method: 'GET', url: '/v1/nothing' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/v1/events'].post.requestBody.content['application/json'].schema.required).toContain(
      'occurredAt',
    );
  });

  it('has a readable reference page built from the same document', async () => {
    const page = await app.inject({ method: 'GET', url: '/v1/docs' });
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('POST /v1/operations/accrue');
    expect(page.body).toContain('<code>occurredAt</code> *');
  });
});
