import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessagingPolicy } from '../../engine/messaging/contracts';
import { insertCustomer } from '../../test/support/customers';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { testMessaging } from '../../test/support/messages';
import { seedTestProgram } from '../../test/support/program';
import { recordConsents } from './consents';
import { queueMessage, queueMessages, type QueueRequest } from './queue';
import { createTemplate } from './templates';

/** The rules of sending as the queue applies them: consent, caps, quiet hours, channels, replays. */
let t: TestDatabase;
let programId: number;
let seq = 0;

const policy: MessagingPolicy = {
  legalBasis: 'consent',
  quietHours: { from: '21:00', to: '09:00' },
  customerCap: { messages: 2, periodHours: 24 },
  programCap: null,
  fallback: ['sms'],
};

async function setPolicy(changes: Partial<MessagingPolicy>) {
  const row = await t.db
    .selectFrom('programs')
    .select('settings')
    .where('id', '=', programId)
    .executeTakeFirstOrThrow();
  const settings = row.settings as Record<string, unknown>;
  await t.db
    .updateTable('programs')
    .set({ settings: JSON.stringify({ ...settings, messaging: { ...policy, ...changes } }) })
    .where('id', '=', programId)
    .execute();
}

/** A customer with a phone who consented to SMS marketing. */
async function customer(consent = true): Promise<number> {
  const id = await insertCustomer(t.db, programId, `queue-${(seq += 1)}`);
  await t.db
    .insertInto('identifiers')
    .values({
      program_id: programId,
      kind: 'phone',
      value: `+7916100${String(seq).padStart(4, '0')}`,
      customer_id: id,
    })
    .execute();
  if (consent) {
    await t.db.transaction().execute((trx) =>
      recordConsents(trx, {
        programId,
        customerId: id,
        changes: [{ channel: 'sms', topic: 'all', granted: true }],
        source: 'web',
        actor: 'test',
        occurredAt: new Date('2026-01-01T00:00:00Z'),
      }),
    );
  }
  return id;
}

function queue(
  customerId: number,
  template: string,
  at: Date,
  extra: Partial<QueueRequest> = {},
  context = testMessaging,
) {
  return t.db.transaction().execute((trx) =>
    queueMessage(
      trx,
      context,
      {
        programId,
        customerId,
        template,
        kind: 'template',
        idempotencyKey: `queue-test-${(seq += 1)}`,
        occurredAt: at,
        ...extra,
      },
      at,
    ),
  );
}

beforeAll(async () => {
  t = await createTestDatabase();
  programId = (await seedTestProgram(t.db, { messaging: policy })).programId;
  await t.db.transaction().execute(async (trx) => {
    await createTemplate(trx, {
      programId,
      actor: 'test',
      key: 'promo',
      purpose: 'marketing',
      topic: 'promotions',
      content: { sms: { ru: { text: 'Скидка для {{ customer.firstName | default: "вас" }}' } } },
    });
    await createTemplate(trx, {
      programId,
      actor: 'test',
      key: 'order-ready',
      purpose: 'transactional',
      content: { sms: { ru: { text: 'Заказ готов' } } },
    });
  });
});

afterAll(() => t?.drop());

const lateEvening = new Date('2026-03-10T20:30:00Z'); // 23:30 in Moscow, the demo program's zone
const noon = new Date('2026-03-10T09:00:00Z'); // 12:00 in Moscow

describe('the rules of sending', () => {
  it('delays marketing due in quiet hours until 09:00 in the customer zone; a transactional message goes at once', async () => {
    const id = await customer();
    const marketing = await queue(id, 'promo', lateEvening);
    expect({ status: marketing.status, notBefore: marketing.notBefore }).toEqual({
      status: 'queued',
      notBefore: '2026-03-11T06:00:00.000Z',
    });
    const transactional = await queue(id, 'order-ready', lateEvening);
    expect(transactional.notBefore).toBe(lateEvening.toISOString());
  });

  it("skips marketing past the customer's cap, recording why, and never caps transactional messages", async () => {
    const id = await customer();
    const answers = [];
    for (let i = 0; i < 3; i += 1) answers.push(await queue(id, 'promo', noon));
    expect(answers.map((a) => [a.status, a.reason])).toEqual([
      ['queued', null],
      ['queued', null],
      ['skipped', 'customer_cap'],
    ]);
    for (let i = 0; i < 3; i += 1) expect((await queue(id, 'order-ready', noon)).status).toBe('queued');
  });

  it("skips marketing past the program's cap on mass messages per period", async () => {
    await setPolicy({ programCap: { messages: 1, periodHours: 1 }, customerCap: null });
    try {
      // An hour no other test sends in: the cap counts marketing by its business time.
      const at = new Date('2026-06-01T09:00:00Z');
      const first = await queue(await customer(), 'promo', at);
      const second = await queue(await customer(), 'promo', at);
      expect([first.status, second.status, second.reason]).toEqual(['queued', 'skipped', 'program_cap']);
    } finally {
      await setPolicy({});
    }
  });

  it('skips marketing without consent under the consent basis and sends it under legitimate interest', async () => {
    const id = await customer(false);
    expect(await queue(id, 'promo', noon)).toMatchObject({ status: 'skipped', reason: 'no_consent' });
    await setPolicy({ legalBasis: 'legitimate-interest' });
    try {
      expect(await queue(id, 'promo', noon)).toMatchObject({ status: 'queued', reason: null });
    } finally {
      await setPolicy({});
    }
  });

  it('refuses a transactional message no channel can deliver with 503 channel_unavailable, writing nothing', async () => {
    const id = await customer();
    const before = await t.db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    await expect(
      queue(id, 'order-ready', noon, {}, { ...testMessaging, defaultChannels: [] }),
    ).rejects.toMatchObject({
      code: 'channel_unavailable',
      status: 503,
    });
    const after = await t.db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('queues once per idempotency key', async () => {
    const id = await customer();
    const first = await queue(id, 'order-ready', noon, { idempotencyKey: 'same-key' });
    const again = await queue(id, 'order-ready', noon, { idempotencyKey: 'same-key' });
    expect(again).toEqual(first);
    const rows = await t.db
      .selectFrom('messages')
      .select('id')
      .where('idempotency_key', '=', 'same-key')
      .execute();
    expect(rows).toHaveLength(1);
  });

  it('a template the program does not have, nor the platform, is a 404 naming the template', async () => {
    await expect(queue(await customer(), 'missing', noon)).rejects.toMatchObject({
      code: 'template_not_found',
      field: 'template',
    });
  });

  it('keeps system messages to the platform: not sent as campaigns, their templates transactional', async () => {
    await expect(queue(await customer(), 'activation-link', noon)).rejects.toMatchObject({
      code: 'system_template',
      field: 'template',
    });
    await expect(
      t.db.transaction().execute((trx) =>
        createTemplate(trx, {
          programId,
          actor: 'test',
          key: 'one-time-code',
          purpose: 'marketing',
          topic: 'promotions',
          content: { sms: { ru: { text: 'Код {{ code }}' } } },
        }),
      ),
    ).rejects.toMatchObject({ code: 'system_template', field: 'purpose' });
  });

  it('queues a campaign page in one call: each customer decided apart, caps counted within the page, answers in order', async () => {
    const [a, b] = [await customer(), await customer(false)];
    const answers = await t.db.transaction().execute((trx) =>
      queueMessages(
        trx,
        testMessaging,
        { programId, template: 'promo', kind: 'template', campaign: 'campaign:page', occurredAt: noon },
        [
          { customerId: a, idempotencyKey: 'page-a-1' },
          { customerId: b, idempotencyKey: 'page-b-1' },
          { customerId: a, idempotencyKey: 'page-a-2' },
          { customerId: a, idempotencyKey: 'page-a-3' },
        ],
        noon,
      ),
    );
    expect(answers.map((x) => [x.status, x.reason])).toEqual([
      ['queued', null],
      ['skipped', 'no_consent'],
      ['queued', null],
      ['skipped', 'customer_cap'],
    ]);
  });
});
