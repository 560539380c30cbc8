import { describe, expect, it } from 'vitest';
import { testMessaging } from '../../test/support/messages';
import { usePurchaseProgram } from '../../test/support/purchase-program';
import { recordConsents } from '../messaging/consents';
import { queueMessage } from '../messaging/queue';
import { createTemplate } from '../messaging/templates';

/** The receipt channel: a queued message is printed on the customer's next confirmed check, once. */

const { api, confirm, register } = usePurchaseProgram('receipt-messages');
let seq = 0;
/** Queued a day before the purchase program's checks (2026-11-25T09:00Z on), so they are due by then. */
const queuedAt = new Date('2026-11-24T09:00:00Z');

/**
 * Queues `note` and a thank-you line for the customer's receipt: a transactional template of the
 * program's with only a receipt part, queued at `at` (its not_before).
 */
async function queueReceipt(customerId: number, note: string, at = queuedAt) {
  const key = `receipt-note-${(seq += 1)}`;
  const queued = await api.t.db.transaction().execute(async (trx) => {
    await createTemplate(trx, {
      programId: api.demo.programId,
      actor: 'test',
      key,
      purpose: 'transactional',
      content: { receipt: { ru: { text: `${note}\nСпасибо!` } } },
    });
    return queueMessage(
      trx,
      testMessaging,
      {
        programId: api.demo.programId,
        customerId,
        template: key,
        kind: 'template',
        idempotencyKey: key,
        occurredAt: at,
      },
      at,
    );
  });
  expect(queued).toMatchObject({ channel: 'receipt', status: 'queued' });
  return queued.messageId;
}

const messageRow = (id: number) =>
  api.t.db
    .selectFrom('messages')
    .select(['status', 'sent_at', 'delivered_at'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

const deliveries = (id: number) =>
  api.t.db
    .selectFrom('message_events')
    .select(['kind', 'detail'])
    .where('message_id', '=', id)
    .where('kind', '=', 'delivered')
    .execute();

describe('receipt messages at confirm', () => {
  it('calculate leaves a queued message; the next confirm prints it after the loyalty block and marks it delivered, the one after does not', async () => {
    const { id, customer } = await register();
    const messageId = await queueReceipt(id, 'Ваш подарок ждёт на кассе');
    // Calculate shows the check without taking the message.
    const calc = await api.call('/v1/purchases/calculate', {
      customer,
      occurredAt: '2026-11-25T10:00:00Z',
      lines: [{ sku: 'MILK', unitPrice: 10_000, quantity: 4, category: ['dairy'] }],
    });
    expect(calc.statusCode, calc.body).toBe(200);
    expect((await messageRow(messageId)).status).toBe('queued');

    const first = await confirm(customer);
    expect(first.statusCode, first.body).toBe(201);
    const receipt = first.json().receipt as string[];
    expect(receipt.slice(-2)).toEqual(['Ваш подарок ждёт на кассе', 'Спасибо!']);
    // The loyalty block comes first: its balance line is right before the message.
    expect(receipt[receipt.length - 3]).toMatch(/^Баланс баллов: /);
    const row = await messageRow(messageId);
    expect(row.status).toBe('delivered');
    expect(row.sent_at).not.toBeNull();
    expect(row.delivered_at).toEqual(row.sent_at);
    expect(await deliveries(messageId)).toEqual([
      { kind: 'delivered', detail: { purchaseId: first.json().purchaseId } },
    ]);

    const second = await confirm(customer);
    expect(second.statusCode, second.body).toBe(201);
    expect(second.json().receipt).not.toContain('Ваш подарок ждёт на кассе');
    expect(await deliveries(messageId)).toHaveLength(1);
  });

  it('prints at most three, oldest first, and leaves a message not due by the check’s time queued', async () => {
    const { id, customer } = await register();
    const ids = [];
    for (const n of [1, 2, 3, 4]) ids.push(await queueReceipt(id, `Note ${n}`));
    const future = await queueReceipt(id, 'Not yet', new Date('2026-12-01T00:00:00Z'));
    const first = await confirm(customer);
    expect(first.statusCode, first.body).toBe(201);
    expect(
      (first.json().receipt as string[]).filter((line) => line.startsWith('Note') || line === 'Not yet'),
    ).toEqual(['Note 1', 'Note 2', 'Note 3']);
    const second = await confirm(customer);
    expect(
      (second.json().receipt as string[]).filter((line) => line.startsWith('Note') || line === 'Not yet'),
    ).toEqual(['Note 4']);
    const statuses = await Promise.all([...ids, future].map(async (m) => (await messageRow(m)).status));
    expect(statuses).toEqual(['delivered', 'delivered', 'delivered', 'delivered', 'queued']);
  });

  it('two tills confirming at once for one customer print one queued message exactly once', async () => {
    const { id, customer } = await register();
    // The customer has bought before: two first purchases racing to open the points account is
    // another race (one of them may be asked to send again).
    expect((await confirm(customer)).statusCode).toBe(201);
    const messageId = await queueReceipt(id, 'Only once');
    const [a, b] = await Promise.all([confirm(customer), confirm(customer)]);
    expect([a.statusCode, b.statusCode], `${a.body}\n${b.body}`).toEqual([201, 201]);
    const printed = [a, b].filter((r) => (r.json().receipt as string[]).includes('Only once'));
    expect(printed).toHaveLength(1);
    expect((await messageRow(messageId)).status).toBe('delivered');
    expect(await deliveries(messageId)).toEqual([
      { kind: 'delivered', detail: { purchaseId: printed[0]!.json().purchaseId } },
    ]);
  });

  it('a replayed confirm answers its stored receipt and takes no further message', async () => {
    const { id, customer } = await register();
    const firstMessage = await queueReceipt(id, 'First note');
    const body = {
      customer,
      externalRef: 'receipt-replay',
      occurredAt: '2026-11-26T10:00:00Z',
      lines: [{ sku: 'MILK', unitPrice: 10_000, quantity: 4, category: ['dairy'] }],
    };
    const original = await api.call('/v1/purchases/confirm', body, { key: 'receipt-replay-1' });
    expect(original.statusCode, original.body).toBe(201);
    expect(original.json().receipt).toContain('First note');
    const secondMessage = await queueReceipt(id, 'Second note');
    const replayed = await api.call('/v1/purchases/confirm', body, { key: 'receipt-replay-1' });
    expect(replayed.statusCode).toBe(201);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.json().receipt).toEqual(original.json().receipt);
    expect((await messageRow(firstMessage)).status).toBe('delivered');
    expect((await messageRow(secondMessage)).status).toBe('queued');
    expect(await deliveries(firstMessage)).toHaveLength(1);
    expect(await deliveries(secondMessage)).toEqual([]);
  });

  it('a check sent from an offline till (its receipt printed already) leaves the message for the next one', async () => {
    const { id, customer } = await register();
    const messageId = await queueReceipt(id, 'After the outage');
    const synced = await api.call('/v1/purchases/sync', {
      checks: [
        {
          idempotencyKey: 'receipt-offline-1',
          check: {
            customer,
            externalRef: 'receipt-offline',
            occurredAt: '2026-11-26T11:00:00Z',
            lines: [{ sku: 'MILK', unitPrice: 10_000, quantity: 4, category: ['dairy'] }],
          },
        },
      ],
    });
    expect(synced.statusCode, synced.body).toBe(200);
    expect(synced.json().results[0]).toMatchObject({ status: 'confirmed' });
    expect((await messageRow(messageId)).status).toBe('queued');
    expect(await deliveries(messageId)).toEqual([]);
    const online = await confirm(customer);
    expect(online.statusCode, online.body).toBe(201);
    expect(online.json().receipt).toContain('After the outage');
    expect((await messageRow(messageId)).status).toBe('delivered');
  });

  it('does not print a marketing message whose consent was withdrawn after it was queued, and records why', async () => {
    const { id, customer } = await register();
    const consent = (granted: boolean, at: string) =>
      api.t.db.transaction().execute((trx) =>
        recordConsents(trx, {
          programId: api.demo.programId,
          customerId: id,
          changes: [{ channel: 'receipt', topic: 'all', granted }],
          source: 'web',
          actor: 'test',
          occurredAt: new Date(at),
        }),
      );
    await consent(true, '2026-11-20T09:00:00Z');
    const messageId = await api.t.db.transaction().execute(async (trx) => {
      await createTemplate(trx, {
        programId: api.demo.programId,
        actor: 'test',
        key: 'receipt-promo',
        purpose: 'marketing',
        content: { receipt: { ru: { text: 'Скидка 10 % на следующую покупку' } } },
      });
      const queued = await queueMessage(
        trx,
        testMessaging,
        {
          programId: api.demo.programId,
          customerId: id,
          template: 'receipt-promo',
          kind: 'template',
          idempotencyKey: 'receipt-promo-1',
          occurredAt: queuedAt,
        },
        queuedAt,
      );
      expect(queued.status).toBe('queued');
      return queued.messageId;
    });
    await consent(false, '2026-11-24T12:00:00Z');
    const confirmed = await confirm(customer);
    expect(confirmed.statusCode, confirmed.body).toBe(201);
    expect(confirmed.json().receipt).not.toContain('Скидка 10 % на следующую покупку');
    const row = await api.t.db
      .selectFrom('messages')
      .select(['status', 'reason'])
      .where('id', '=', messageId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'skipped', reason: 'consent_withdrawn' });
  });
});
