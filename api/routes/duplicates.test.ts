import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey } from '../../db/api-keys';
import type { DemoCredentials } from '../../db/demo-program';
import { testApi } from '../../test/support/api';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { ledgerViolations } from '../../test/support/ledger-invariants';
import { seedTestProgram } from '../../test/support/program';
import type { ApiApp } from '../types';

let t: TestDatabase;
let app: ApiApp;
let demo: DemoCredentials;
let mergeKey: string;
let keySeq = 0;
const ids: Record<string, number> = {};

const at = '2026-05-10T12:00:00+03:00';

function call(url: string, payload: unknown, options: { key?: string; token?: string } = {}) {
  return app.inject({
    method: 'POST',
    url,
    headers: {
      authorization: `Bearer ${options.token ?? mergeKey}`,
      'idempotency-key': options.key ?? `dup-${String((keySeq += 1)).padStart(6, '0')}`,
    },
    payload: payload as object,
  });
}

async function register(body: Record<string, unknown>): Promise<number> {
  const response = await call(
    '/v1/customers',
    { channel: 'operator', registeredAt: at, ...body },
    { token: demo.backOfficeApiKey },
  );
  expect(response.statusCode, response.body).toBe(201);
  return response.json().customerId;
}

beforeAll(async () => {
  t = await createTestDatabase();
  demo = await seedTestProgram(t.db);
  app = await testApi(t.db);
  mergeKey = (
    await issueApiKey(t.db, {
      programId: demo.programId,
      label: 'Back office with merge',
      scopes: ['customers:read', 'customers:write', 'customers:merge'],
    })
  ).token;

  ids.olga = await register({
    phone: '+7 916 123-45-67',
    email: 'Olga.Smirnova@Example.com',
    profile: { firstName: 'Ольга', lastName: 'Смирнова', birthDate: '1985-04-12' },
  });
  ids.olgaToo = await register({
    email: 'olga.smirnova@example.com',
    profile: { firstName: 'Olga', lastName: 'Smirnova', birthDate: '1985-04-12', gender: 'female' },
  });
  ids.alone = await register({ phone: '+7 903 000-00-01', profile: { firstName: 'Пётр' } });
});
afterAll(async () => {
  await app.close();
  await t.drop();
});

describe('POST /v1/customers/duplicates/search', () => {
  it('lists candidate groups with names, birth date and masked contacts only', async () => {
    const response = await call('/v1/customers/duplicates/search', {}, { token: demo.backOfficeApiKey });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body.nextCursor).toBeNull();
    expect(body.groups).toHaveLength(1);
    expect(body.groups[0]).toMatchObject({
      kind: 'email',
      customers: [
        {
          id: ids.olga,
          status: 'active',
          firstName: 'Ольга',
          lastName: 'Смирнова',
          birthDate: '1985-04-12',
          phones: ['+7 916 ***-**-67'],
          emails: ['o***@example.com'],
        },
        { id: ids.olgaToo, firstName: 'Olga', phones: [], emails: ['o***@example.com'] },
      ],
    });
    expect(response.body).not.toMatch(/smirnova@|1234567|4567/i);
  });

  it('pages with a cursor and narrows to one customer', async () => {
    const first = await call('/v1/customers/duplicates/search', { limit: 1 });
    expect(first.json()).toMatchObject({ groups: [{ kind: 'email' }], nextCursor: null });
    const mine = await call('/v1/customers/duplicates/search', { customerId: ids.olgaToo });
    expect(mine.json().groups[0].customers.map((c: { id: number }) => c.id)).toEqual([ids.olgaToo, ids.olga]);
    const none = await call('/v1/customers/duplicates/search', { customerId: ids.alone });
    expect(none.json()).toEqual({ groups: [], nextCursor: null });
    const unknown = await call('/v1/customers/duplicates/search', { customerId: 987_654 });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatchObject({ code: 'customer_not_found', field: 'customerId' });
  });

  it('names the field of a bad body', async () => {
    for (const [body, field] of [
      [{ limit: 0 }, 'body.limit'],
      [{ limit: 101 }, 'body.limit'],
      [{ cursor: 'phone:+79161234567' }, 'body.cursor'],
      [{ customerId: 'x' }, 'body.customerId'],
      [{ extra: 1 }, 'body'],
    ] as const) {
      const response = await call('/v1/customers/duplicates/search', body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json().error.field, JSON.stringify(body)).toBe(field);
    }
  });
});

describe('POST /v1/customers/merge', () => {
  const merge = { survivorId: 0, mergedId: 0, occurredAt: at };

  it('needs the customers:merge scope', async () => {
    const response = await call(
      '/v1/customers/merge',
      { ...merge, survivorId: ids.olga, mergedId: ids.olgaToo },
      { token: demo.tillApiKey },
    );
    expect(response.statusCode).toBe(403);
    expect(response.json().error).toMatchObject({ code: 'forbidden', field: 'headers.authorization' });
  });

  it('names the field of a bad body', async () => {
    for (const [body, field] of [
      [{ ...merge, survivorId: 'x', mergedId: 1 }, 'body.survivorId'],
      [{ ...merge, survivorId: 1 }, 'body.mergedId'],
      [{ survivorId: 1, mergedId: 2, occurredAt: '2026-05-10T12:00:00' }, 'body.occurredAt'],
      [
        { survivorId: 1, mergedId: 2, occurredAt: at, fieldChoices: { firstName: 'both' } },
        'body.fieldChoices.firstName',
      ],
    ] as const) {
      const response = await call('/v1/customers/merge', body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json().error.field, JSON.stringify(body)).toBe(field);
    }
  });

  it('asks for a choice on every conflicting profile field', async () => {
    const response = await call('/v1/customers/merge', {
      ...merge,
      survivorId: ids.olga,
      mergedId: ids.olgaToo,
      fieldChoices: { firstName: 'survivor' },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatchObject({
      code: 'field_choice_required',
      field: 'fieldChoices.lastName',
    });
  });

  it('merges once per idempotency key and drops the group from the queue', async () => {
    const body = {
      ...merge,
      survivorId: ids.olga,
      mergedId: ids.olgaToo,
      fieldChoices: { firstName: 'survivor', lastName: 'survivor' },
    };
    const response = await call('/v1/customers/merge', body, { key: 'merge-olga-0001' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      survivorId: ids.olga,
      mergedId: ids.olgaToo,
      moved: {
        identifiers: 0,
        identifiersDropped: 1,
        cards: 0,
        accounts: [],
        referrals: 0,
        coupons: 0,
        purchases: 0,
      },
    });
    const replay = await call('/v1/customers/merge', body, { key: 'merge-olga-0001' });
    expect(replay.statusCode).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(response.json());
    const conflict = await call(
      '/v1/customers/merge',
      { ...body, fieldChoices: { firstName: 'merged', lastName: 'survivor' } },
      { key: 'merge-olga-0001' },
    );
    expect(conflict.statusCode).toBe(409);
    const again = await call('/v1/customers/merge', body);
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'already_merged', field: 'mergedId' });

    const audit = await t.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'customer.merge')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor).toMatch(/^api-key:\d+$/);
    const queue = await call('/v1/customers/duplicates/search', {});
    expect(queue.json()).toEqual({ groups: [], nextCursor: null });
    const lookup = await call('/v1/customers/lookup', {
      customer: { kind: 'email', value: 'OLGA.smirnova@example.com' },
    });
    expect(lookup.json()).toMatchObject({ customerId: ids.olga });
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('documents both routes in the OpenAPI document', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/openapi.json' });
    expect(response.statusCode).toBe(200);
    expect(Object.keys(response.json().paths)).toEqual(
      expect.arrayContaining(['/v1/customers/duplicates/search', '/v1/customers/merge']),
    );
  });
});
