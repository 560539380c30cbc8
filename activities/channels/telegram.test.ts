import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../platform/free-port';
import {
  startHttpPeer,
  type HttpPeer,
  type PeerAnswer,
  type PeerRequest,
} from '../../test/support/http-peer';
import { ChannelError, type OutgoingMessage } from './channel';
import {
  setTelegramWebhook,
  TelegramChannel,
  telegramDeepLink,
  type TelegramChannelSettings,
} from './telegram';

const botToken = '123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11';
const chatId = '987654321';

const peers: HttpPeer[] = [];
const channels: TelegramChannel[] = [];

afterEach(async () => {
  for (const channel of channels.splice(0)) await channel.close();
  for (const peer of peers.splice(0)) await peer.close();
});

/** A Bot API that sends every message as message 77, unless `answer` says otherwise. */
async function telegramPeer(answer?: (request: PeerRequest) => PeerAnswer | Promise<PeerAnswer>) {
  const peer = await startHttpPeer(
    answer ??
      (() => ({
        body: {
          ok: true,
          result: { message_id: 77, date: 1_773_144_000, chat: { id: Number(chatId), type: 'private' } },
        },
      })),
  );
  peers.push(peer);
  return peer;
}

function channelTo(peer: { url: string }, overrides: Partial<TelegramChannelSettings> = {}): TelegramChannel {
  const channel = new TelegramChannel({ baseUrl: peer.url, botToken, timeoutMs: 2000, ...overrides });
  channels.push(channel);
  return channel;
}

const message = (overrides: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
  messageId: 41,
  to: chatId,
  text: 'Your 10% coupon is waiting',
  ...overrides,
});

const refusal = (error_code: number, description: string, parameters?: object): PeerAnswer => ({
  status: error_code,
  body: { ok: false, error_code, description, ...(parameters ? { parameters } : {}) },
});

async function channelRejection(promise: Promise<unknown>): Promise<ChannelError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChannelError);
  return error as ChannelError;
}

describe('TelegramChannel', () => {
  it('sends text with sendMessage and returns chat and message id', async () => {
    const peer = await telegramPeer();
    expect(await channelTo(peer).submit(message())).toEqual({ providerMessageId: `${chatId}:77`, parts: 1 });
    expect(peer.requests).toHaveLength(1);
    expect(peer.requests[0]).toMatchObject({ method: 'POST', path: `/bot${botToken}/sendMessage` });
    expect(JSON.parse(peer.requests[0]!.body)).toEqual({
      chat_id: chatId,
      text: 'Your 10% coupon is waiting',
    });
  });

  it('puts the button under the text as one inline url button', async () => {
    const peer = await telegramPeer();
    await channelTo(peer).submit(
      message({ button: { text: 'Open coupon', url: 'https://example.com/c/abc' } }),
    );
    expect(peer.requests[0]!.path).toBe(`/bot${botToken}/sendMessage`);
    expect(JSON.parse(peer.requests[0]!.body)).toEqual({
      chat_id: chatId,
      text: 'Your 10% coupon is waiting',
      reply_markup: { inline_keyboard: [[{ text: 'Open coupon', url: 'https://example.com/c/abc' }]] },
    });
  });

  it('sends an image with sendPhoto, the text as its caption and the button under it', async () => {
    const peer = await telegramPeer();
    const result = await channelTo(peer).submit(
      message({
        imageUrl: 'https://cdn.example.com/coupon.jpg',
        button: { text: 'Open coupon', url: 'https://example.com/c/abc' },
      }),
    );
    expect(result).toEqual({ providerMessageId: `${chatId}:77`, parts: 1 });
    expect(peer.requests[0]!.path).toBe(`/bot${botToken}/sendPhoto`);
    expect(JSON.parse(peer.requests[0]!.body)).toEqual({
      chat_id: chatId,
      photo: 'https://cdn.example.com/coupon.jpg',
      caption: 'Your 10% coupon is waiting',
      reply_markup: { inline_keyboard: [[{ text: 'Open coupon', url: 'https://example.com/c/abc' }]] },
    });
  });

  it('refuses permanently when the user blocked the bot (403) or the chat is unknown (400)', async () => {
    const blocked = await telegramPeer(() => refusal(403, 'Forbidden: bot was blocked by the user'));
    expect(await channelRejection(channelTo(blocked).submit(message()))).toMatchObject({
      reason: 'blocked',
      permanent: true,
      message: 'Telegram 403: Forbidden: bot was blocked by the user',
    });

    const unknown = await telegramPeer(() => refusal(400, 'Bad Request: chat not found'));
    expect(await channelRejection(channelTo(unknown).submit(message()))).toMatchObject({
      reason: 'chat_not_found',
      permanent: true,
    });
  });

  it('fails transiently with the wait on 429, and on a server error, a timeout and a closed port', async () => {
    const limited = await telegramPeer(() =>
      refusal(429, 'Too Many Requests: retry after 17', { retry_after: 17 }),
    );
    const error = await channelRejection(channelTo(limited).submit(message()));
    expect(error).toMatchObject({ reason: 'rate_limited', permanent: false });
    expect(error.message).toContain('retry after 17 s');

    const broken = await telegramPeer(() => refusal(502, 'Bad Gateway'));
    expect(await channelRejection(channelTo(broken).submit(message()))).toMatchObject({
      reason: 'provider_error',
      permanent: false,
    });

    const slow = await telegramPeer(
      () => new Promise((resolve) => setTimeout(() => resolve({ body: { ok: true, result: true } }), 1000)),
    );
    expect(await channelRejection(channelTo(slow, { timeoutMs: 100 }).submit(message()))).toMatchObject({
      reason: 'unreachable',
      permanent: false,
    });

    const nobody = { url: `http://127.0.0.1:${await freePort()}` };
    expect(await channelRejection(channelTo(nobody).submit(message()))).toMatchObject({
      reason: 'unreachable',
      permanent: false,
    });
  });

  it('close waits for a message in flight and refuses new ones', async () => {
    const peer = await telegramPeer(
      () =>
        new Promise((resolve) =>
          setTimeout(
            () => resolve({ body: { ok: true, result: { message_id: 78, date: 1, chat: { id: 1 } } } }),
            200,
          ),
        ),
    );
    const channel = channelTo(peer);
    const sending = channel.submit(message());
    await new Promise((resolve) => setTimeout(resolve, 50));
    let closed = false;
    const closing = channel.close().then(() => (closed = true));
    expect(await channelRejection(channel.submit(message()))).toMatchObject({
      reason: 'closed',
      permanent: false,
    });
    expect(closed).toBe(false);
    await expect(sending).resolves.toEqual({ providerMessageId: `${chatId}:78`, parts: 1 });
    await closing;
    expect(peer.requests).toHaveLength(1);
  });
});

describe('setTelegramWebhook', () => {
  it('calls setWebhook with the URL, the secret token and only messages and membership updates', async () => {
    const peer = await telegramPeer(() => ({
      body: { ok: true, result: true, description: 'Webhook was set' },
    }));
    await setTelegramWebhook(
      { baseUrl: peer.url, botToken },
      'https://loyalflow.example.com/hooks/telegram/7',
      's3cr3t_Token-1',
    );
    expect(peer.requests).toHaveLength(1);
    expect(peer.requests[0]).toMatchObject({ method: 'POST', path: `/bot${botToken}/setWebhook` });
    expect(JSON.parse(peer.requests[0]!.body)).toEqual({
      url: 'https://loyalflow.example.com/hooks/telegram/7',
      secret_token: 's3cr3t_Token-1',
      allowed_updates: ['message', 'my_chat_member'],
    });
  });

  it('reports a revoked token as a permanent ChannelError', async () => {
    const peer = await telegramPeer(() => refusal(401, 'Unauthorized'));
    expect(
      await channelRejection(
        setTelegramWebhook({ baseUrl: peer.url, botToken }, 'https://x.example/h', 'secret'),
      ),
    ).toMatchObject({ reason: 'invalid_bot_token', permanent: true });
  });
});

describe('telegramDeepLink', () => {
  it('builds the t.me start link and refuses a token Telegram would not pass on', () => {
    expect(telegramDeepLink('LoyalflowBot', 'tok_3f9a-Zq')).toBe(
      'https://t.me/LoyalflowBot?start=tok_3f9a-Zq',
    );
    expect(telegramDeepLink('LoyalflowBot', 'a'.repeat(64))).toBe(
      `https://t.me/LoyalflowBot?start=${'a'.repeat(64)}`,
    );
    expect(() => telegramDeepLink('LoyalflowBot', 'a'.repeat(65))).toThrow(RangeError);
    expect(() => telegramDeepLink('LoyalflowBot', 'tok=en')).toThrow(RangeError);
    expect(() => telegramDeepLink('LoyalflowBot', '')).toThrow(RangeError);
  });
});
