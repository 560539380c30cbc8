import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsentStatement } from '../messaging/consents';
import { recordConsents } from '../messaging/consents';
import type { LedgerSource } from '../../engine/messaging/consent-contracts';
import { insertCustomer } from '../../test/support/customers';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { seedTestProgram } from '../../test/support/program';
import { mergeCustomers } from './merge-customers';

/** A merge gives the survivor the merged customer's messaging: consents, messages, linked chats. */

let t: TestDatabase;
let programId: number;
const at = new Date('2026-05-10T09:00:00Z');
const march = new Date('2026-03-01T00:00:00Z');
const midMarch = new Date('2026-03-15T00:00:00Z');
const february = new Date('2026-02-01T00:00:00Z');
const april = new Date('2026-04-01T00:00:00Z');

beforeAll(async () => {
  t = await createTestDatabase();
  programId = (await seedTestProgram(t.db)).programId;
});
afterAll(() => t.drop());

const state = (customerId: number, occurredAt: Date, source: LedgerSource, changes: ConsentStatement[]) =>
  t.db
    .transaction()
    .execute((trx) =>
      recordConsents(trx, { programId, customerId, changes, source, actor: 'test', occurredAt }),
    );

const message = (
  customerId: number,
  key: string,
  channel: 'receipt' | 'sms',
  status: 'queued' | 'delivered',
) =>
  t.db
    .insertInto('messages')
    .values({
      program_id: programId,
      customer_id: customerId,
      channel,
      purpose: 'transactional',
      kind: 'text',
      idempotency_key: key,
      destination: channel === 'receipt' ? String(customerId) : '+79160000001',
      body: key,
      status,
      not_before: march,
      occurred_at: march,
    })
    .returning('id')
    .executeTakeFirstOrThrow();

describe('merging customers moves their messaging', () => {
  it('moves the consent ledger, keeps the later state per channel and topic, moves messages and chats, leaves one-time codes and deletes only unused link tokens', async () => {
    const merged = await insertCustomer(t.db, programId, 'messaging-merged');
    const survivor = await insertCustomer(t.db, programId, 'messaging-survivor');
    await state(survivor, march, 'web', [
      { channel: 'sms', topic: 'all', granted: true },
      { channel: 'telegram', topic: 'all', granted: true },
    ]);
    await state(survivor, april, 'web', [{ channel: 'email', topic: 'all', granted: true }]);
    await state(merged, february, 'web', [{ channel: 'email', topic: 'all', granted: false }]);
    await state(merged, march, 'web', [
      { channel: 'viber', topic: 'all', granted: true },
      { channel: 'telegram', topic: 'all', granted: false },
    ]);
    // The merged customer's STOP, after the survivor's yes.
    await state(merged, midMarch, 'reply', [{ channel: 'sms', topic: 'all', granted: false }]);
    const ledgerBefore = await t.db
      .selectFrom('customer_consents')
      .select(['id', 'customer_id', 'channel', 'topic', 'granted', 'source', 'occurred_at'])
      .where('customer_id', 'in', [merged, survivor])
      .orderBy('id')
      .execute();
    expect(ledgerBefore).toHaveLength(7);
    const ledgerId = (customerId: number, channel: string) =>
      ledgerBefore.find((r) => r.customer_id === customerId && r.channel === channel)!.id;

    const queuedReceipt = await message(merged, 'merge-receipt-queued', 'receipt', 'queued');
    const sentSms = await message(merged, 'merge-sms-delivered', 'sms', 'delivered');
    const survivorSms = await message(survivor, 'merge-sms-survivor', 'sms', 'delivered');
    const code = await t.db
      .insertInto('one_time_codes')
      .values({
        program_id: programId,
        customer_id: merged,
        purpose: 'verify',
        channel: 'phone',
        destination: '+79160000001',
        record: JSON.stringify({}),
        created_at: march,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await t.db
      .insertInto('channel_links')
      .values([
        {
          program_id: programId,
          channel: 'telegram',
          external_id: 'tg-merged',
          customer_id: merged,
          linked_at: march,
        },
        {
          program_id: programId,
          channel: 'viber',
          external_id: 'vb-merged',
          customer_id: merged,
          linked_at: march,
        },
        {
          program_id: programId,
          channel: 'telegram',
          external_id: 'tg-survivor',
          customer_id: survivor,
          linked_at: april,
        },
      ])
      .execute();
    const token = (hash: string, customerId: number, usedAt: Date | null) => ({
      token_hash: hash,
      program_id: programId,
      customer_id: customerId,
      channel: 'telegram' as const,
      created_at: march,
      expires_at: new Date('2027-01-01T00:00:00Z'),
      used_at: usedAt,
    });
    await t.db
      .insertInto('channel_link_tokens')
      .values([
        token('merged-unused', merged, null),
        token('merged-used', merged, march),
        token('survivor-unused', survivor, null),
      ])
      .execute();

    await t.db.transaction().execute((trx) =>
      mergeCustomers(trx, {
        programId,
        survivorId: survivor,
        mergedId: merged,
        fieldChoices: {},
        actor: 'staff:1',
        occurredAt: at,
      }),
    );

    // The ledger: every statement stays as it was, now the survivor's.
    const ledgerAfter = await t.db
      .selectFrom('customer_consents')
      .select(['id', 'customer_id', 'channel', 'topic', 'granted', 'source', 'occurred_at'])
      .where('customer_id', 'in', [merged, survivor])
      .orderBy('id')
      .execute();
    expect(ledgerAfter).toEqual(ledgerBefore.map((r) => ({ ...r, customer_id: survivor })));

    const states = await t.db
      .selectFrom('customer_consent_state')
      .select(['customer_id', 'channel', 'topic', 'granted', 'occurred_at', 'consent_id'])
      .where('customer_id', 'in', [merged, survivor])
      .orderBy('customer_id')
      .orderBy('channel')
      .execute();
    expect(states).toEqual([
      // The survivor's yes of April stands over the merged customer's older no.
      {
        customer_id: survivor,
        channel: 'email',
        topic: 'all',
        granted: true,
        occurred_at: april,
        consent_id: ledgerId(survivor, 'email'),
      },
      // The merged customer's STOP is later than the survivor's yes: it is the state.
      {
        customer_id: survivor,
        channel: 'sms',
        topic: 'all',
        granted: false,
        occurred_at: midMarch,
        consent_id: ledgerId(merged, 'sms'),
      },
      // Stated at the same time by both: the survivor's stays (the merged one's wins only when later).
      {
        customer_id: survivor,
        channel: 'telegram',
        topic: 'all',
        granted: true,
        occurred_at: march,
        consent_id: ledgerId(survivor, 'telegram'),
      },
      // Only the merged customer stated it: taken over.
      {
        customer_id: survivor,
        channel: 'viber',
        topic: 'all',
        granted: true,
        occurred_at: march,
        consent_id: ledgerId(merged, 'viber'),
      },
    ]);

    const messages = await t.db
      .selectFrom('messages')
      .select(['id', 'customer_id', 'channel', 'status', 'destination'])
      .where('id', 'in', [queuedReceipt.id, sentSms.id, survivorSms.id])
      .orderBy('id')
      .execute();
    expect(messages).toEqual([
      // Still waiting: it prints on the survivor's next receipt.
      {
        id: queuedReceipt.id,
        customer_id: survivor,
        channel: 'receipt',
        status: 'queued',
        destination: String(survivor),
      },
      {
        id: sentSms.id,
        customer_id: survivor,
        channel: 'sms',
        status: 'delivered',
        destination: '+79160000001',
      },
      {
        id: survivorSms.id,
        customer_id: survivor,
        channel: 'sms',
        status: 'delivered',
        destination: '+79160000001',
      },
    ]);

    const codes = await t.db
      .selectFrom('one_time_codes')
      .select('customer_id')
      .where('id', '=', code.id)
      .execute();
    expect(codes).toEqual([{ customer_id: merged }]);

    const links = await t.db
      .selectFrom('channel_links')
      .select(['channel', 'external_id', 'customer_id', 'linked_at'])
      .where('program_id', '=', programId)
      .where('external_id', 'in', ['tg-merged', 'vb-merged', 'tg-survivor'])
      .orderBy('external_id')
      .execute();
    expect(links).toEqual([
      { channel: 'telegram', external_id: 'tg-merged', customer_id: survivor, linked_at: march },
      { channel: 'telegram', external_id: 'tg-survivor', customer_id: survivor, linked_at: april },
      { channel: 'viber', external_id: 'vb-merged', customer_id: survivor, linked_at: march },
    ]);

    const tokens = await t.db
      .selectFrom('channel_link_tokens')
      .select(['token_hash', 'customer_id', 'used_at'])
      .where('token_hash', 'in', ['merged-unused', 'merged-used', 'survivor-unused'])
      .orderBy('token_hash')
      .execute();
    expect(tokens).toEqual([
      { token_hash: 'merged-used', customer_id: merged, used_at: march },
      { token_hash: 'survivor-unused', customer_id: survivor, used_at: null },
    ]);
  });
});
