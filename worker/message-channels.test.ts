import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useApiFixture } from '../test/support/api-fixture';
import { useMessagePeers } from '../test/support/message-peers';
import { startHttpPeer, type HttpPeer } from '../test/support/http-peer';
import { waitFor } from '../test/support/wait';

/**
 * A one-time code, an activation link and a templated marketing message to each channel's peer —
 * Telegram's and Viber's bot APIs as local HTTP servers, an SMSC, an SMTP server — with the webhooks
 * that link chats and report delivery, the Viber → SMS fallback, and e-mail tracking and unsubscribe.
 */
const api = useApiFixture('message-channels', {
  messaging: {
    legalBasis: 'consent',
    quietHours: null,
    customerCap: null,
    programCap: null,
    fallback: ['viber', 'telegram', 'sms', 'email'],
  },
});

const botToken = '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef';
const viberToken = '4453b6ac12345678-e02c5f12174805f9';
const viberMessageToken = '5741311803571721087';
let telegram: HttpPeer;
let viber: HttpPeer;
let viberRefuses = false;
const { sms, mails } = useMessagePeers(api);
let telegramSecret = '';
let viberProviderId = 0;
let telegramProviderId = 0;

beforeAll(async () => {
  let telegramMessageId = 100;
  telegram = await startHttpPeer((request) => {
    if (request.path.endsWith('/setWebhook')) return { body: { ok: true, result: true } };
    const chat = (JSON.parse(request.body) as { chat_id: string }).chat_id;
    return {
      body: {
        ok: true,
        result: {
          message_id: (telegramMessageId += 1),
          date: 0,
          chat: { id: Number(chat), type: 'private' },
        },
      },
    };
  });
  viber = await startHttpPeer((request) =>
    request.path === '/pa/set_webhook'
      ? { body: { status: 0, status_message: 'ok' } }
      : viberRefuses
        ? { body: { status: 6, status_message: 'notSubscribed' } }
        : { body: `{"status":0,"status_message":"ok","message_token":${viberMessageToken}}` },
  );
});

afterAll(async () => {
  await Promise.all([telegram?.close(), viber?.close()]);
});

const backOffice = (url: string, payload: unknown) =>
  api.call(url, payload, { token: api.demo.backOfficeApiKey });
const now = () => new Date().toISOString();
const bodiesTo = (peer: HttpPeer, suffix: string) =>
  peer.requests
    .filter((r) => r.path.endsWith(suffix))
    .map((r) => JSON.parse(r.body) as Record<string, unknown>);
const codeIn = (text: string) => /\b(\d{6})\b/.exec(text)?.[1];

async function statusOf(id: number) {
  return api.t.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function pendingCustomer(phone: string) {
  const answer = await api.call('/v1/customers', { channel: 'till', registeredAt: now(), phone });
  expect(answer.statusCode).toBe(201);
  return { kind: 'phone', value: phone };
}

async function grant(customer: object, channels: string[]) {
  const answer = await backOffice('/v1/customers/consents', {
    customer,
    changes: channels.map((channel) => ({ channel, topic: 'all', granted: true })),
    source: 'web',
    occurredAt: now(),
  });
  expect(answer.statusCode).toBe(200);
}

/** Links the customer's chat the way the bot's platform does after the customer opens the deep link. */
async function linkTelegram(customer: object, chatId: number) {
  const link = await api.call('/v1/customers/channel-links', {
    customer,
    channel: 'telegram',
    occurredAt: now(),
  });
  expect(link.statusCode).toBe(201);
  const token = new URL(link.json<{ url: string }>().url).searchParams.get('start')!;
  const update = {
    update_id: chatId,
    message: {
      message_id: 1,
      date: 1_780_000_000,
      chat: { id: chatId, type: 'private' },
      text: `/start ${token}`,
    },
  };
  const answer = await api.app.inject({
    method: 'POST',
    url: `/v1/webhooks/telegram/${telegramProviderId}`,
    headers: { 'x-telegram-bot-api-secret-token': telegramSecret },
    payload: update,
  });
  expect(answer.statusCode).toBe(200);
}

function viberCallback(body: object) {
  const raw = JSON.stringify(body);
  return api.app.inject({
    method: 'POST',
    url: `/v1/webhooks/viber/${viberProviderId}`,
    headers: {
      'content-type': 'application/json',
      'x-viber-content-signature': createHmac('sha256', viberToken).update(raw).digest('hex'),
    },
    payload: raw,
  });
}

async function linkViber(customer: object, userId: string) {
  const link = await api.call('/v1/customers/channel-links', {
    customer,
    channel: 'viber',
    occurredAt: now(),
  });
  expect(link.statusCode).toBe(201);
  const context = new URL(link.json<{ url: string }>().url.replace('viber://', 'http://')).searchParams.get(
    'context',
  );
  const answer = await viberCallback({
    event: 'conversation_started',
    timestamp: Date.now(),
    message_token: 1,
    type: 'open',
    context,
    user: { id: userId, name: 'Анна' },
    subscribed: false,
  });
  expect(answer.statusCode).toBe(200);
}

describe('messages to every channel', () => {
  it('connects the Telegram and Viber bots: credentials are never returned, webhooks point here', async () => {
    const tg = await backOffice('/v1/messaging/providers', {
      name: 'telegram-bot',
      channel: 'telegram',
      settings: { baseUrl: telegram.url, botUsername: 'loyal_test_bot' },
      credentials: { botToken },
    });
    expect(tg.statusCode).toBe(201);
    expect(tg.body).not.toContain(botToken);
    expect(tg.json()).toMatchObject({ credentialsSet: ['botToken'], channel: 'telegram' });
    telegramProviderId = tg.json<{ id: number }>().id;
    const vb = await backOffice('/v1/messaging/providers', {
      name: 'viber-bot',
      channel: 'viber',
      settings: { baseUrl: viber.url, senderName: 'Кофейня', chatUri: 'loyalcafe' },
      credentials: { authToken: viberToken },
    });
    expect(vb.statusCode).toBe(201);
    expect(vb.body).not.toContain(viberToken);
    viberProviderId = vb.json<{ id: number }>().id;
    const stored = await api.t.db.selectFrom('message_providers').select('credentials').execute();
    expect(stored.map((row) => row.credentials).join()).not.toMatch(/ABCDEFGHIJ|4453b6ac/);

    expect((await backOffice('/v1/messaging/providers/connect', { name: 'telegram-bot' })).statusCode).toBe(
      200,
    );
    const [webhook] = bodiesTo(telegram, '/setWebhook');
    expect(webhook).toMatchObject({ url: `http://api.test/v1/webhooks/telegram/${telegramProviderId}` });
    telegramSecret = webhook!.secret_token as string;
    expect((await backOffice('/v1/messaging/providers/connect', { name: 'viber-bot' })).statusCode).toBe(200);
    expect(bodiesTo(viber, '/pa/set_webhook')[0]).toMatchObject({
      url: `http://api.test/v1/webhooks/viber/${viberProviderId}`,
    });
  });

  it('keeps a marketing template with content for every channel', async () => {
    const template = await backOffice('/v1/message-templates', {
      key: 'autumn',
      purpose: 'marketing',
      content: {
        telegram: {
          ru: {
            text: 'Осень в кофейне, {{ program.name }}!',
            button: { text: 'Меню', url: 'https://cafe.test/menu' },
          },
        },
        viber: { ru: { text: 'Осень в кофейне!', imageUrl: 'https://cafe.test/autumn.png' } },
        sms: { ru: { text: 'Осень в кофейне!' } },
        email: {
          ru: {
            subject: 'Осень',
            text: 'Осень в кофейне',
            html: '<p>Осень: <a href="https://cafe.test/menu?a=1&amp;b=2">меню</a> <a href="{{ unsubscribeUrl }}" data-lf-unsubscribe>отписаться</a></p>',
          },
        },
      },
    });
    expect(template.statusCode).toBe(201);
  });

  it('refuses a Telegram update without the secret and a Viber callback with a wrong signature', async () => {
    const telegramAnswer = await api.app.inject({
      method: 'POST',
      url: `/v1/webhooks/telegram/${telegramProviderId}`,
      headers: { 'x-telegram-bot-api-secret-token': 'guess' },
      payload: { update_id: 1 },
    });
    expect(telegramAnswer.statusCode).toBe(401);
    const viberAnswer = await api.app.inject({
      method: 'POST',
      url: `/v1/webhooks/viber/${viberProviderId}`,
      headers: { 'content-type': 'application/json', 'x-viber-content-signature': 'ab'.repeat(32) },
      payload: '{"event":"webhook"}',
    });
    expect(viberAnswer.statusCode).toBe(401);
  });

  it('Telegram: an activation link, a one-time code and a marketing message reach the bot API', async () => {
    const customer = await pendingCustomer('+79170000001');
    await linkTelegram(customer, 7001);

    const link = await api.call('/v1/customers/activation-link', {
      customer,
      channels: ['telegram'],
      occurredAt: now(),
    });
    expect(link.statusCode).toBe(202);
    expect(link.json()).toMatchObject({ channel: 'telegram', sentTo: 'telegram chat' });
    const linkText = await waitFor(async () =>
      bodiesTo(telegram, '/sendMessage').find((b) => String(b.text).includes('/activate/')),
    );
    expect(linkText.chat_id).toBe('7001');

    const code = await api.call('/v1/purchases/redemption-code', { customer, channel: 'phone' });
    expect(code.statusCode).toBe(202);
    expect(code.json().sentTo).toBe('telegram chat');
    const codeText = await waitFor(async () =>
      bodiesTo(telegram, '/sendMessage').find((b) => codeIn(String(b.text))),
    );
    expect(codeText.chat_id).toBe('7001');

    await grant(customer, ['telegram']);
    const sent = await backOffice('/v1/messages', {
      customer,
      template: 'autumn',
      channels: ['telegram'],
      campaign: 'campaign:autumn',
      occurredAt: now(),
    });
    expect(sent.statusCode).toBe(202);
    const promo = await waitFor(async () =>
      bodiesTo(telegram, '/sendMessage').find((b) => String(b.text).startsWith('Осень')),
    );
    expect(promo.reply_markup).toEqual({
      inline_keyboard: [[{ text: 'Меню', url: 'https://cafe.test/menu' }]],
    });
    const row = await waitFor(async () => {
      const found = await statusOf(sent.json<{ messageId: number }>().messageId);
      return found.status === 'sent' ? found : null;
    });
    expect(row.provider_message_id).toMatch(/^7001:\d+$/);
  });

  it('Viber: the three messages reach the bot API; delivered and seen callbacks are recorded', async () => {
    const customer = await pendingCustomer('+79170000002');
    await linkViber(customer, 'viber-user-2');
    const link = await api.call('/v1/customers/activation-link', {
      customer,
      channels: ['viber'],
      occurredAt: now(),
    });
    expect(link.json()).toMatchObject({ channel: 'viber' });
    const code = await api.call('/v1/purchases/redemption-code', { customer, channel: 'phone' });
    expect(code.json().sentTo).toBe('viber chat');
    await grant(customer, ['viber']);
    const sent = await backOffice('/v1/messages', {
      customer,
      template: 'autumn',
      campaign: 'campaign:autumn',
      occurredAt: now(),
    });
    expect(sent.json()).toMatchObject({ channel: 'viber', status: 'queued' });
    const bodies = await waitFor(async () => {
      const found = bodiesTo(viber, '/pa/send_message').filter((b) => b.receiver === 'viber-user-2');
      return found.length === 3 ? found : null;
    });
    expect(bodies.map((b) => b.type)).toEqual(['text', 'text', 'picture']);
    expect(String(bodies[0]!.text)).toContain('/activate/');
    expect(codeIn(String(bodies[1]!.text))).toBeDefined();
    expect(bodies[2]).toMatchObject({ media: 'https://cafe.test/autumn.png', sender: { name: 'Кофейня' } });

    const id = sent.json<{ messageId: number }>().messageId;
    await waitFor(async () => (await statusOf(id)).status === 'sent');
    for (const event of ['delivered', 'seen']) {
      const answer = await viberCallback({
        event,
        timestamp: Date.now(),
        message_token: viberMessageToken,
        user_id: 'viber-user-2',
      });
      expect(answer.statusCode).toBe(200);
    }
    const row = await statusOf(id);
    expect(row.provider_message_id).toBe(viberMessageToken);
    expect(row.status).toBe('delivered');
    expect(row.seen_at).not.toBeNull();
  });

  it('falls back from Viber to SMS when Viber refuses (not subscribed), linking the two messages', async () => {
    const customer = await pendingCustomer('+79170000003');
    await linkViber(customer, 'viber-user-3');
    await grant(customer, ['viber', 'sms']);
    viberRefuses = true;
    try {
      const sent = await backOffice('/v1/messages', { customer, template: 'autumn', occurredAt: now() });
      expect(sent.json()).toMatchObject({ channel: 'viber' });
      const arrived = await waitFor(async () =>
        sms.find((m) => m.destination === '+79170000003' && m.text.startsWith('Осень')),
      );
      expect(arrived.text).toBe('Осень в кофейне!');
      const first = await statusOf(sent.json<{ messageId: number }>().messageId);
      expect({ status: first.status, reason: first.reason }).toEqual({
        status: 'failed',
        reason: 'not_subscribed',
      });
      const next = await api.t.db
        .selectFrom('messages')
        .select(['channel', 'previous_message_id'])
        .where('previous_message_id', '=', first.id)
        .executeTakeFirstOrThrow();
      expect(next).toEqual({ channel: 'sms', previous_message_id: first.id });
    } finally {
      viberRefuses = false;
    }
  });

  it('e-mail: an activation link, a code and a tracked marketing message; one-click unsubscribe withdraws consent', async () => {
    const registered = await api.call('/v1/customers', {
      channel: 'till',
      registeredAt: now(),
      phone: '+79170000004',
      email: 'olga@example.com',
    });
    expect(registered.statusCode).toBe(201);
    const customer = { kind: 'phone', value: '+79170000004' };
    const link = await api.call('/v1/customers/activation-link', {
      customer,
      channels: ['email'],
      occurredAt: now(),
    });
    expect(link.json()).toMatchObject({ channel: 'email', sentTo: 'o***@example.com' });
    const code = await api.call('/v1/purchases/redemption-code', { customer, channel: 'email' });
    expect(code.statusCode).toBe(202);
    await backOffice('/v1/customers/consents', {
      customer,
      changes: [
        { channel: 'email', topic: 'all', granted: true },
        { channel: 'email', topic: 'tracking', granted: true },
      ],
      source: 'web',
      occurredAt: now(),
    });
    const sent = await backOffice('/v1/messages', {
      customer,
      template: 'autumn',
      channels: ['email'],
      occurredAt: now(),
    });
    const id = sent.json<{ messageId: number }>().messageId;
    const received = await waitFor(async () => {
      const to = mails.filter((m) => m.recipients.includes('olga@example.com'));
      return to.length === 3 ? to : null;
    });
    expect(received[0]!.text).toContain('/activate/');
    expect(codeIn(received[1]!.text)).toBeDefined();
    const promo = received[2]!;
    expect(promo.subject).toBe('Осень');
    const row = await statusOf(id);
    expect(promo.headers['list-unsubscribe']).toBe(`<http://api.test/m/u/${row.tracking_token}>`);
    expect(promo.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    expect(promo.html).toContain(`http://api.test/m/o/${row.tracking_token}.gif`);

    const click = /href="(http:\/\/api\.test\/m\/c\/[^"]+)"/.exec(promo.html!)![1]!.replaceAll('&amp;', '&');
    const followed = await api.app.inject({ method: 'GET', url: click.replace('http://api.test', '') });
    expect(followed.statusCode).toBe(302);
    expect(followed.headers.location).toBe('https://cafe.test/menu?a=1&b=2');
    const forged = await api.app.inject({
      method: 'GET',
      url: `/m/c/${row.tracking_token}?u=${encodeURIComponent('https://evil.test')}&s=forged`,
    });
    expect(forged.statusCode).toBe(404);
    const opened = await api.app.inject({ method: 'GET', url: `/m/o/${row.tracking_token}.gif` });
    expect(opened.headers['content-type']).toBe('image/gif');
    const tracked = await statusOf(id);
    expect([tracked.opened_at !== null, tracked.clicked_at !== null]).toEqual([true, true]);

    const unsubscribed = await api.app.inject({
      method: 'POST',
      url: `/m/u/${row.tracking_token}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(unsubscribed.statusCode).toBe(200);
    const again = await backOffice('/v1/messages', {
      customer,
      template: 'autumn',
      channels: ['email'],
      occurredAt: now(),
    });
    expect(again.json()).toMatchObject({ status: 'skipped', reason: 'consent_withdrawn' });
  });
});
