import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../platform/logger';
import { createSmppServer, type SmppServer } from '../platform/smpp-wire';
import { useApiFixture } from '../test/support/api-fixture';
import { openMessagingPolicy, testMessaging } from '../test/support/messages';
import { waitFor } from '../test/support/wait';
import { MessageSender } from './message-sender';

/**
 * An SMSC that takes submit_sm and never answers: the sender cannot know whether the message left.
 * It must not send it again — a customer would get a campaign twice — and a one-time code gets a new
 * code instead, at most the hour's allowance of codes.
 */
const api = useApiFixture('message-uncertain', {
  messaging: openMessagingPolicy,
});

let silent: SmppServer;
let sender: MessageSender;
const submitted: string[] = [];

beforeAll(async () => {
  silent = createSmppServer((session) => {
    session.on('bind_transceiver', (pdu) => session.send(pdu.response()));
    session.on('enquire_link', (pdu) => session.send(pdu.response()));
    session.on('submit_sm', (pdu) => void submitted.push(String(pdu.destination_addr)));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as { port: number };
  sender = new MessageSender({
    db: api.t.db,
    databaseUrl: api.t.url,
    log: createLogger('test-sender', 'silent'),
    context: testMessaging,
    defaults: { sms: { host: '127.0.0.1', port } },
    pollMs: 50,
  });
  await sender.start();
});

afterAll(async () => {
  await sender?.stop();
  await new Promise((resolve) => silent?.close(resolve));
});

async function register(phone: string) {
  const answer = await api.call('/v1/customers', {
    channel: 'cabinet',
    registeredAt: new Date().toISOString(),
    phone,
  });
  expect(answer.statusCode).toBe(201);
  return { kind: 'phone', value: phone };
}

describe('a send whose outcome cannot be known', () => {
  it('marks a marketing message unknown after the SMSC stays silent and never submits it again', async () => {
    const customer = await register('+79180000001');
    await api.call(
      '/v1/message-templates',
      { key: 'news', purpose: 'marketing', content: { sms: { ru: { text: 'Новости' } } } },
      { token: api.demo.backOfficeApiKey },
    );
    const sent = await api.call(
      '/v1/messages',
      { customer, template: 'news', occurredAt: new Date().toISOString() },
      { token: api.demo.backOfficeApiKey },
    );
    const id = sent.json<{ messageId: number }>().messageId;
    const row = await waitFor(async () => {
      const found = await api.t.db
        .selectFrom('messages')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      return found.status === 'unknown' ? found : null;
    }, 15_000);
    expect(row.reason).toBe('the provider may have taken it (response_timeout)');
    // Long enough for two more rounds and another submit timeout: nothing goes out again.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(submitted.filter((d) => d === '79180000001')).toHaveLength(1);
  });

  it('gives a one-time code lost that way a new code, and stops at the hour’s five codes', async () => {
    const customer = await register('+79180000002');
    const started = await api.call('/v1/notifiers/verification', { customer, channel: 'phone' });
    expect(started.statusCode).toBe(202);
    const codes = await waitFor(
      async () => {
        const rows = await api.t.db
          .selectFrom('messages')
          .select(['status'])
          .where('destination', '=', '+79180000002')
          .execute();
        return rows.length === 5 && rows.every((r) => r.status === 'unknown') ? rows : null;
      },
      40_000,
      'five codes, each unknown',
    );
    expect(codes).toHaveLength(5);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const after = await api.t.db
      .selectFrom('one_time_codes')
      .select('id')
      .where('destination', '=', '+79180000002')
      .execute();
    expect(after).toHaveLength(5);
    expect(submitted.filter((d) => d === '79180000002')).toHaveLength(5);
  });
});
