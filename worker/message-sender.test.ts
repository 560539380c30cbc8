import { describe, expect, it } from 'vitest';
import { recordInbound } from '../db/messaging/inbound';
import { queueMessage } from '../db/messaging/queue';
import { recoverInterruptedSends } from '../db/messaging/recovery';
import { useApiFixture } from '../test/support/api-fixture';
import { useMessagePeers } from '../test/support/message-peers';
import { testMessaging } from '../test/support/messages';
import { waitFor } from '../test/support/wait';

/**
 * The whole path of a message against real peers: the engine API queues it in the command's
 * transaction, the worker's sender submits it over SMPP to a local SMSC (platform/sms-sink) or over
 * SMTP to a local server (platform/mail-catcher), and the SMSC's delivery receipt comes back.
 */
const api = useApiFixture('message-sender', {
  messaging: {
    legalBasis: 'consent',
    quietHours: null,
    customerCap: { messages: 50, periodHours: 24 },
    programCap: null,
    fallback: ['sms', 'email'],
  },
});

const peers = useMessagePeers(api);
const { sms, mails } = peers;

const backOffice = (url: string, payload: unknown) =>
  api.call(url, payload, { token: api.demo.backOfficeApiKey });
const codeIn = (text: string) => /\b(\d{6})\b/.exec(text)?.[1];
const smsTo = (phone: string) => sms.filter((m) => m.destination === phone);
/** The first SMS to a phone, once it has arrived (waitFor needs undefined until then). */
const firstSmsTo = async (phone: string) => smsTo(phone)[0];

async function messageRow(id: number) {
  return api.t.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function register(phone: string, email?: string) {
  const answer = await api.call('/v1/customers', {
    channel: 'cabinet',
    registeredAt: new Date().toISOString(),
    phone,
    ...(email ? { email } : {}),
    profile: { firstName: 'Анна' },
  });
  expect(answer.statusCode).toBe(201);
  return answer.json<{ customerId: number }>().customerId;
}

async function marketingTemplate(key: string, sms: string) {
  const created = await backOffice('/v1/message-templates', {
    key,
    purpose: 'marketing',
    topic: 'promotions',
    content: { sms: { ru: { text: sms } } },
  });
  expect(created.statusCode).toBe(201);
}

describe('the message sender against a real SMSC and SMTP server', () => {
  it('sends a one-time code after its command commits; the receipt marks it delivered, the log shows it masked', async () => {
    await register('+79160000001', 'anna@example.com');
    const started = await api.call('/v1/notifiers/verification', {
      customer: { kind: 'phone', value: '+79160000001' },
      channel: 'phone',
    });
    expect(started.statusCode).toBe(202);
    const arrived = await waitFor(() => firstSmsTo('+79160000001'), 10_000, 'the code at the SMSC');
    const code = codeIn(arrived.text)!;
    expect(arrived.sender).toBe('Loyalflow');
    const confirmed = await api.call('/v1/notifiers/verification/confirm', {
      customer: { kind: 'phone', value: '+79160000001' },
      channel: 'phone',
      code,
    });
    expect(confirmed.json()).toMatchObject({ verified: true, result: 'ok' });

    const row = await waitFor(
      async () => {
        const found = await api.t.db
          .selectFrom('messages')
          .selectAll()
          .where('destination', '=', '+79160000001')
          .executeTakeFirstOrThrow();
        return found.status === 'delivered' ? found : null;
      },
      10_000,
      'the delivery receipt',
    );
    expect(row.body).toContain('••••••');
    expect(row.body).not.toContain(code);
    expect(row.sealed_body).toBeNull();
    expect(row.provider_message_id).toBe(arrived.messageIds[0]);
  });

  it('sends an e-mail code to the SMTP server with the subject and text of the system template', async () => {
    const started = await api.call('/v1/notifiers/verification', {
      customer: { kind: 'phone', value: '+79160000001' },
      channel: 'email',
    });
    expect(started.statusCode).toBe(202);
    const mail = await waitFor(
      async () => mails.find((m) => m.recipients.includes('anna@example.com')),
      10_000,
      'the e-mail',
    );
    expect(mail.subject).toContain('Код подтверждения');
    expect(codeIn(mail.text)).toMatch(/^\d{6}$/);
    expect(mail.headers['message-id']).toMatch(/^<m\d+\./);
  });

  it("sends a till registration's activation link by SMS; the log keeps the token masked", async () => {
    const answer = await api.call('/v1/customers', {
      channel: 'till',
      registeredAt: new Date().toISOString(),
      phone: '+79160000002',
    });
    expect(answer.statusCode).toBe(201);
    const { activationToken, activationMessage } = answer.json<{
      activationToken: string;
      activationMessage: { messageId: number; channel: string };
    }>();
    expect(activationMessage.channel).toBe('sms');
    const arrived = await waitFor(() => firstSmsTo('+79160000002'), 10_000, 'the link at the SMSC');
    expect(arrived.text).toContain(`http://web.test/activate/${activationToken}`);
    const row = await messageRow(activationMessage.messageId);
    expect(row.body).not.toContain(activationToken);
  });

  it('sends a long Cyrillic marketing text as three UCS-2 parts joined again at the SMSC', async () => {
    const customerId = await register('+79160000003');
    await marketingTemplate('long', 'Анна, '.repeat(25));
    await backOffice('/v1/customers/consents', {
      customer: { kind: 'phone', value: '+79160000003' },
      changes: [{ channel: 'sms', topic: 'all', granted: true }],
      source: 'web',
      occurredAt: new Date().toISOString(),
    });
    const sent = await backOffice('/v1/messages', {
      customer: { kind: 'phone', value: '+79160000003' },
      template: 'long',
      campaign: 'campaign:long',
      occurredAt: new Date().toISOString(),
    });
    expect(sent.statusCode).toBe(202);
    const arrived = await waitFor(() => firstSmsTo('+79160000003'), 10_000, 'the long SMS');
    expect(arrived.parts).toBe(3);
    expect(arrived.text).toBe('Анна, '.repeat(25));
    const row = await waitFor(async () => {
      const found = await messageRow(sent.json<{ messageId: number }>().messageId);
      return found.status === 'delivered' ? found : null;
    });
    expect({ parts: row.parts, customer: row.customer_id, campaign: row.campaign }).toEqual({
      parts: 3,
      customer: customerId,
      campaign: 'campaign:long',
    });
  });

  it('does not send a marketing message whose consent was withdrawn after it was queued, and records why', async () => {
    await register('+79160000004');
    const customer = { kind: 'phone', value: '+79160000004' };
    await backOffice('/v1/customers/consents', {
      customer,
      changes: [{ channel: 'sms', topic: 'all', granted: true }],
      source: 'web',
      occurredAt: new Date().toISOString(),
    });
    // Due in an hour (a journey's timer), so the sender leaves it queued while consent changes.
    const queued = await backOffice('/v1/messages', {
      customer,
      template: 'long',
      occurredAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const id = queued.json<{ messageId: number; status: string }>().messageId;
    expect(queued.json().status).toBe('queued');
    await backOffice('/v1/customers/consents', {
      customer,
      changes: [{ channel: 'sms', topic: 'all', granted: false }],
      source: 'web',
      occurredAt: new Date().toISOString(),
    });
    await api.t.db.updateTable('messages').set({ not_before: new Date() }).where('id', '=', id).execute();
    const row = await waitFor(async () => {
      const found = await messageRow(id);
      return found.status !== 'queued' ? found : null;
    });
    expect({ status: row.status, reason: row.reason }).toEqual({
      status: 'skipped',
      reason: 'consent_withdrawn',
    });
    expect(smsTo('+79160000004')).toEqual([]);
  });

  it('keeps a message through an SMSC outage and sends it exactly once when the SMSC is back', async () => {
    await register('+79160000005');
    await peers.stopSink();
    const started = await api.call('/v1/notifiers/verification', {
      customer: { kind: 'phone', value: '+79160000005' },
      channel: 'phone',
    });
    expect(started.statusCode).toBe(202);
    const retried = await waitFor(
      async () => {
        const found = await api.t.db
          .selectFrom('messages')
          .selectAll()
          .where('destination', '=', '+79160000005')
          .executeTakeFirstOrThrow();
        return found.status === 'queued' && found.attempts === 1 ? found : null;
      },
      15_000,
      'the failed first attempt',
    );
    expect(retried.reason).toBe('smsc_unavailable');
    await peers.restartSink();
    await api.t.db
      .updateTable('messages')
      .set({ not_before: new Date() })
      .where('id', '=', retried.id)
      .execute();
    const delivered = await waitFor(async () => {
      const found = await messageRow(retried.id);
      return found.status === 'delivered' ? found : null;
    }, 15_000);
    expect(delivered.attempts).toBe(2);
    expect(smsTo('+79160000005')).toHaveLength(1);
  });

  it('marks a message interrupted while sending unknown and never resends it; a one-time code gets a new code', async () => {
    const customerId = await register('+79160000006');
    await backOffice('/v1/customers/consents', {
      customer: { kind: 'phone', value: '+79160000006' },
      changes: [{ channel: 'sms', topic: 'all', granted: true }],
      source: 'web',
      occurredAt: new Date().toISOString(),
    });
    const marketing = await api.t.db.transaction().execute((trx) =>
      queueMessage(
        trx,
        testMessaging,
        {
          programId: api.demo.programId,
          customerId,
          template: 'long',
          kind: 'template',
          idempotencyKey: 'interrupted-marketing',
          // Held back by its due time until the test has made it a send that was cut off.
          occurredAt: new Date(Date.now() + 3_600_000),
        },
        new Date(),
      ),
    );
    expect(marketing.status).toBe('queued');
    const code = await api.call('/v1/notifiers/verification', {
      customer: { kind: 'phone', value: '+79160000006' },
      channel: 'phone',
    });
    expect(code.statusCode).toBe(202);
    const first = await waitFor(() => firstSmsTo('+79160000006'), 10_000, 'the first code');
    const firstRow = await api.t.db
      .selectFrom('messages')
      .select('id')
      .where('destination', '=', '+79160000006')
      .where('kind', '=', 'one-time-code')
      .executeTakeFirstOrThrow();
    // As if the sender had died between `sending` and the provider's answer two minutes ago.
    await api.t.db
      .updateTable('messages')
      .set({ status: 'sending', sending_at: new Date(Date.now() - 120_000) })
      .where('id', 'in', [firstRow.id, marketing.messageId])
      .execute();
    expect(await recoverInterruptedSends(api.t.db, testMessaging, new Date(), 60_000)).toBe(2);
    expect((await messageRow(firstRow.id)).status).toBe('unknown');
    expect((await messageRow(marketing.messageId)).status).toBe('unknown');
    const messages = await waitFor(async () => {
      const found = smsTo('+79160000006');
      return found.length === 2 ? found : null;
    });
    expect(codeIn(messages[1]!.text)).not.toBe(codeIn(first.text));
    const confirmed = await api.call('/v1/notifiers/verification/confirm', {
      customer: { kind: 'phone', value: '+79160000006' },
      channel: 'phone',
      code: codeIn(messages[1]!.text),
    });
    expect(confirmed.json()).toMatchObject({ verified: true });
    // The marketing message never went out: the two SMS are the two codes.
    expect(messages.every((m) => codeIn(m.text))).toBe(true);
  });

  it('withdraws SMS marketing consent when the customer replies STOP', async () => {
    const customerId = await register('+79160000007');
    await recordInbound(api.t.db, { programId: null, providerId: null, channel: 'sms' }, [
      { kind: 'reply', from: '+79160000007', text: ' Стоп ', at: new Date() },
    ]);
    const state = await api.t.db
      .selectFrom('customer_consents')
      .select(['channel', 'topic', 'granted', 'source'])
      .where('customer_id', '=', customerId)
      .execute();
    expect(state).toEqual([{ channel: 'sms', topic: 'all', granted: false, source: 'reply' }]);
  });
});
