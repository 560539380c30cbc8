import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertCustomer } from '../../test/support/customers';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { openMessagingPolicy, testMessaging } from '../../test/support/messages';
import { seedTestProgram } from '../../test/support/program';
import { queueMissedFallbacks } from './fallback';
import {
  applyMatchedPendingReceipts,
  applyPendingReceipts,
  dropStalePendingReceipts,
  recordInbound,
} from './inbound';
import { queueMessage } from './queue';
import { claimDueMessages, recordSendResults } from './sending';
import { createTemplate } from './templates';

let t: TestDatabase;
let programId: number;
let customerId: number;
const at = new Date('2026-03-10T09:00:00Z');

beforeAll(async () => {
  t = await createTestDatabase();
  programId = (
    await seedTestProgram(t.db, {
      messaging: openMessagingPolicy,
    })
  ).programId;
  customerId = await insertCustomer(t.db, programId, 'sending-1');
  await t.db
    .insertInto('identifiers')
    .values({ program_id: programId, kind: 'phone', value: '+79162220001', customer_id: customerId })
    .execute();
  await t.db.transaction().execute(async (trx) => {
    await createTemplate(trx, {
      programId,
      actor: 'test',
      key: 'promo',
      purpose: 'marketing',
      content: { sms: { ru: { text: 'Акция' } } },
    });
    await createTemplate(trx, {
      programId,
      actor: 'test',
      key: 'notice',
      purpose: 'transactional',
      content: { sms: { ru: { text: 'Заказ готов' } } },
    });
  });
});

afterAll(() => t?.drop());

const queue = (template: string, key: string, occurredAt: Date) =>
  t.db
    .transaction()
    .execute((trx) =>
      queueMessage(
        trx,
        testMessaging,
        { programId, customerId, template, kind: 'template', idempotencyKey: key, occurredAt },
        occurredAt,
      ),
    );

describe('claiming and receipts', () => {
  it('claims a transactional message before marketing that was due earlier', async () => {
    const marketing = await queue('promo', 'claim-promo', at);
    const transactional = await queue('notice', 'claim-notice', new Date(at.getTime() + 60_000));
    const first = await claimDueMessages(t.db, { secret: testMessaging.secret, now: new Date(), limit: 1 });
    expect(first.map((m) => m.id)).toEqual([transactional.messageId]);
    const second = await claimDueMessages(t.db, { secret: testMessaging.secret, now: new Date(), limit: 5 });
    expect(second.map((m) => m.id)).toEqual([marketing.messageId]);
  });

  it('keeps a receipt that comes before its message has a provider id, and applies it once it has', async () => {
    const queued = await queue('notice', 'early-receipt', at);
    const [claimed] = await claimDueMessages(t.db, {
      secret: testMessaging.secret,
      now: new Date(),
      limit: 5,
    });
    expect(claimed!.id).toBe(queued.messageId);
    await recordInbound(t.db, { programId: null, providerId: null, channel: 'sms' }, [
      { kind: 'delivered', providerMessageId: 'smsc-77', at: new Date('2026-03-10T09:00:05Z') },
    ]);
    expect(await t.db.selectFrom('message_receipts_pending').select('provider_message_id').execute()).toEqual(
      [{ provider_message_id: 'smsc-77' }],
    );
    await recordSendResults(
      t.db,
      [{ id: queued.messageId, ok: true, providerMessageId: 'smsc-77', parts: 1 }],
      new Map([[queued.messageId, 1]]),
      new Date(),
    );
    expect(await applyPendingReceipts(t.db, ['smsc-77'])).toEqual([]);
    const row = await t.db
      .selectFrom('messages')
      .select(['status', 'delivered_at'])
      .where('id', '=', queued.messageId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'delivered', delivered_at: new Date('2026-03-10T09:00:05Z') });
    expect(await t.db.selectFrom('message_receipts_pending').selectAll().execute()).toEqual([]);
  });

  it('drops receipts that waited a week for a message never recorded, and keeps younger ones', async () => {
    const pending = (id: string, receivedAt: string) =>
      t.db
        .insertInto('message_receipts_pending')
        .values({
          channel: 'sms',
          provider_id: null,
          provider_message_id: id,
          kind: 'delivered',
          at: new Date(receivedAt),
          detail: null,
          received_at: new Date(receivedAt),
        })
        .execute();
    await pending('stale-1', '2026-03-01T00:00:00Z');
    await pending('young-1', '2026-03-09T00:00:00Z');
    expect(await dropStalePendingReceipts(t.db, new Date('2026-03-10T00:00:00Z'))).toBe(1);
    const left = await t.db.selectFrom('message_receipts_pending').select('provider_message_id').execute();
    expect(left.map((r) => r.provider_message_id)).toEqual(['young-1']);
  });

  it('moves a failed message along its chain when the sender stopped before doing it, once', async () => {
    await t.db
      .insertInto('identifiers')
      .values({ program_id: programId, kind: 'email', value: 'olga@example.com', customer_id: customerId })
      .execute();
    await t.db.transaction().execute((trx) =>
      createTemplate(trx, {
        programId,
        actor: 'test',
        key: 'dual',
        purpose: 'transactional',
        content: {
          email: { ru: { subject: 'Заказ', text: 'Заказ готов' } },
          sms: { ru: { text: 'Заказ готов' } },
        },
      }),
    );
    const queued = await t.db.transaction().execute((trx) =>
      queueMessage(
        trx,
        testMessaging,
        {
          programId,
          customerId,
          template: 'dual',
          channels: ['email', 'sms'],
          kind: 'template',
          idempotencyKey: 'dual-1',
          occurredAt: at,
        },
        at,
      ),
    );
    expect(queued.channel).toBe('email');
    const claimed = await claimDueMessages(t.db, { secret: testMessaging.secret, now: new Date(), limit: 5 });
    expect(claimed.map((m) => m.id)).toEqual([queued.messageId]);
    // The failure is recorded; the sender stops before it queues the SMS.
    await recordSendResults(
      t.db,
      [{ id: queued.messageId, ok: false, reason: 'rejected: 550', permanent: true, uncertain: false }],
      new Map([[queued.messageId, 1]]),
      new Date(),
    );
    // The sweep leaves a failure younger than the lease to the live sender; later it moves it on, once.
    expect(await queueMissedFallbacks(t.db, testMessaging, new Date(), 60_000)).toBe(0);
    const later = new Date(Date.now() + 120_000);
    expect(await queueMissedFallbacks(t.db, testMessaging, later, 60_000)).toBe(1);
    expect(await queueMissedFallbacks(t.db, testMessaging, later, 60_000)).toBe(0);
    const successors = await t.db
      .selectFrom('messages')
      .select(['channel', 'status'])
      .where('previous_message_id', '=', queued.messageId)
      .execute();
    expect(successors).toEqual([{ channel: 'sms', status: 'queued' }]);
  });

  it("applies, on the sender's sweep, a receipt kept pending while another worker recorded its message", async () => {
    const queued = await queue('notice', 'swept-receipt', at);
    await claimDueMessages(t.db, { secret: testMessaging.secret, now: new Date(), limit: 5 });
    await recordInbound(t.db, { programId: null, providerId: null, channel: 'sms' }, [
      { kind: 'delivered', providerMessageId: 'smsc-88', at: new Date('2026-03-10T09:00:07Z') },
    ]);
    // Recorded elsewhere, without applying what was pending.
    await recordSendResults(
      t.db,
      [{ id: queued.messageId, ok: true, providerMessageId: 'smsc-88', parts: 1 }],
      new Map([[queued.messageId, 1]]),
      new Date(),
    );
    expect(await applyMatchedPendingReceipts(t.db)).toEqual([]);
    const row = await t.db
      .selectFrom('messages')
      .select('status')
      .where('id', '=', queued.messageId)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('delivered');
    expect(
      await t.db
        .selectFrom('message_receipts_pending')
        .select('id')
        .where('provider_message_id', '=', 'smsc-88')
        .execute(),
    ).toEqual([]);
  });
});
