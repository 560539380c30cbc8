import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { insertCustomer } from '../../test/support/customers';
import { rejection } from '../../test/support/rejection';
import { consentLedger, consentStates, recordConsents, withdrawConsent } from './consents';

let t: TestDatabase;
let programId: number;

beforeAll(async () => {
  t = await createTestDatabase();
  ({ id: programId } = await t.db
    .insertInto('programs')
    .values({ code: 'consents', name: 'Consents', currency: 'RUB', time_zone: 'Europe/Moscow' })
    .returning('id')
    .executeTakeFirstOrThrow());
});
afterAll(() => t?.drop());

const at = (iso: string) => new Date(iso);
const record = (
  customerId: number,
  changes: Parameters<typeof recordConsents>[1]['changes'],
  occurredAt: string,
) =>
  t.db.transaction().execute((trx) =>
    recordConsents(trx, {
      programId,
      customerId,
      changes,
      source: 'api',
      actor: 'api-key:1',
      occurredAt: at(occurredAt),
    }),
  );

describe('consent ledger', () => {
  it('records a repeated statement in the ledger and keeps the state at its newest business time', async () => {
    const customerId = await insertCustomer(t.db, programId, 'repeat');
    await record(customerId, [{ channel: 'email', topic: 'all', granted: true }], '2026-03-01T00:00:00Z');
    const states = await record(
      customerId,
      [{ channel: 'email', topic: 'all', granted: true }],
      '2026-03-03T00:00:00Z',
    );
    expect(states).toEqual([
      { channel: 'email', topic: 'all', granted: true, occurredAt: at('2026-03-03T00:00:00Z') },
    ]);
    expect((await consentLedger(t.db, customerId, { limit: 10 })).items).toHaveLength(2);
  });

  it('lets the statement recorded last win at an equal business time, and the last of a key within one call', async () => {
    const customerId = await insertCustomer(t.db, programId, 'equal');
    await record(customerId, [{ channel: 'sms', topic: 'all', granted: true }], '2026-03-01T00:00:00Z');
    expect(
      await record(
        customerId,
        [
          { channel: 'sms', topic: 'all', granted: false },
          { channel: 'viber', topic: 'news', granted: false },
          { channel: 'viber', topic: 'news', granted: true },
        ],
        '2026-03-01T00:00:00Z',
      ),
    ).toEqual([
      { channel: 'sms', topic: 'all', granted: false, occurredAt: at('2026-03-01T00:00:00Z') },
      { channel: 'viber', topic: 'news', granted: true, occurredAt: at('2026-03-01T00:00:00Z') },
    ]);
    expect((await consentLedger(t.db, customerId, { limit: 10 })).items).toHaveLength(4);
  });

  it('withdraws from an unsubscribe link, a STOP reply or a provider, with that source', async () => {
    const customerId = await insertCustomer(t.db, programId, 'stop');
    await record(customerId, [{ channel: 'sms', topic: 'all', granted: true }], '2026-03-01T00:00:00Z');
    const states = await t.db.transaction().execute((trx) =>
      withdrawConsent(trx, {
        programId,
        customerId,
        channel: 'sms',
        topic: 'all',
        source: 'reply',
        actor: 'system:sms-inbound',
        occurredAt: at('2026-03-02T00:00:00Z'),
      }),
    );
    expect(states).toEqual([
      { channel: 'sms', topic: 'all', granted: false, occurredAt: at('2026-03-02T00:00:00Z') },
    ]);
    const ledger = await consentLedger(t.db, customerId, { limit: 10 });
    expect(ledger.items[0]).toMatchObject({ source: 'reply', actor: 'system:sms-inbound', granted: false });
    const audit = await t.db
      .selectFrom('audit_log')
      .select(['action', 'actor'])
      .where('subject', '=', `customer:${customerId}`)
      .orderBy('id')
      .execute();
    expect(audit).toEqual([
      { action: 'customer.consent', actor: 'api-key:1' },
      { action: 'customer.consent', actor: 'system:sms-inbound' },
    ]);
  });

  it('refuses a customer of another program and writes nothing', async () => {
    const other = await t.db
      .insertInto('programs')
      .values({ code: 'consents-other', name: 'Other', currency: 'RUB', time_zone: 'Europe/Moscow' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const stranger = await insertCustomer(t.db, other.id, 'stranger');
    expect(
      await rejection(
        record(stranger, [{ channel: 'sms', topic: 'all', granted: true }], '2026-03-01T00:00:00Z'),
      ),
    ).toMatchObject({ code: 'customer_not_found', status: 404, field: 'customer' });
    expect((await consentLedger(t.db, stranger, { limit: 10 })).items).toEqual([]);
  });

  it('reads the states of many customers in one call, none for a customer without statements', async () => {
    const a = await insertCustomer(t.db, programId, 'batch-a');
    const b = await insertCustomer(t.db, programId, 'batch-b');
    const silent = await insertCustomer(t.db, programId, 'batch-silent');
    await record(a, [{ channel: 'email', topic: 'all', granted: true }], '2026-03-01T00:00:00Z');
    await record(
      b,
      [
        { channel: 'sms', topic: 'promotions', granted: false },
        { channel: 'email', topic: 'all', granted: true },
      ],
      '2026-03-01T00:00:00Z',
    );
    const states = await consentStates(t.db, [a, b, silent]);
    expect(states.get(a)?.map((s) => `${s.channel}/${s.topic}`)).toEqual(['email/all']);
    expect(states.get(b)?.map((s) => `${s.channel}/${s.topic}/${s.granted}`)).toEqual([
      'email/all/true',
      'sms/promotions/false',
    ]);
    expect(states.has(silent)).toBe(false);
    expect((await consentStates(t.db, [])).size).toBe(0);
  });
});
