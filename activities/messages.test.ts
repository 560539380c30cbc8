import { ApplicationFailure } from '@temporalio/activity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../platform/logger';
import { insertCustomer } from '../test/support/customers';
import { createTestDatabase, type TestDatabase } from '../test/support/database';
import { testMessaging } from '../test/support/messages';
import { seedTestProgram } from '../test/support/program';
import { createTemplate } from '../db/messaging/templates';
import { createMessageActivities } from './messages';

let t: TestDatabase;
let programId: number;
let customerId: number;

beforeAll(async () => {
  t = await createTestDatabase();
  programId = (await seedTestProgram(t.db)).programId;
  customerId = await insertCustomer(t.db, programId, 'activity-1');
  await t.db
    .insertInto('identifiers')
    .values({ program_id: programId, kind: 'phone', value: '+79161110001', customer_id: customerId })
    .execute();
  await t.db.transaction().execute((trx) =>
    createTemplate(trx, {
      programId,
      actor: 'test',
      key: 'order-ready',
      purpose: 'transactional',
      content: { sms: { ru: { text: 'Заказ готов' } } },
    }),
  );
});

afterAll(() => t?.drop());

describe('the sendMessage activity', () => {
  it('queues once per key, so a retried activity sends nothing twice, while the next visit sends again', async () => {
    const { sendMessage } = createMessageActivities(t.db, createLogger('test', 'silent'), testMessaging);
    const input = {
      programId,
      customerId,
      template: 'order-ready',
      channels: ['sms' as const],
      occurredAt: '2026-03-01T10:00:00Z',
      idempotencyKey: 'journey:1:42/send/1',
    };
    const first = await sendMessage(input);
    const retried = await sendMessage(input);
    const nextVisit = await sendMessage({ ...input, idempotencyKey: 'journey:1:42/send/2' });
    expect(retried).toEqual(first);
    expect(nextVisit.messageId).not.toBe(first.messageId);
    const rows = await t.db
      .selectFrom('messages')
      .select('occurred_at')
      .where('customer_id', '=', customerId)
      .execute();
    expect(rows.map((r) => r.occurred_at.toISOString())).toEqual([
      '2026-03-01T10:00:00.000Z',
      '2026-03-01T10:00:00.000Z',
    ]);
  });

  it('fails without retries when the message cannot be sent at all, naming why', async () => {
    const { sendMessage } = createMessageActivities(t.db, createLogger('test', 'silent'), testMessaging);
    const failure = await sendMessage({
      programId,
      customerId,
      template: 'no-such-template',
      occurredAt: '2026-03-01T10:00:00Z',
      idempotencyKey: 'journey:1:42/send/3',
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'template_not_found', nonRetryable: true });
  });
});
