import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../platform/free-port';
import { startHttpPeer, type HttpPeer, type PeerAnswer } from '../../test/support/http-peer';
import { ChannelError, type OutgoingMessage } from './channel';
import { setViberWebhook, ViberChannel, viberDeepLink, type ViberChannelSettings } from './viber';

const authToken = '4453b6ac12345678-e02c5f12174805f9-daec9cbb5448c51f';
const receiver = '01234567890A=';
// More digits than a JavaScript number keeps: the answer's token must come back exactly.
const okAnswer =
  '{"status":0,"status_message":"ok","message_token":5741311803571721087,"chat_hostname":"SN-CHAT-05_"}';

const peers: HttpPeer[] = [];
const channels: ViberChannel[] = [];

afterEach(async () => {
  for (const channel of channels.splice(0)) await channel.close();
  for (const peer of peers.splice(0)) await peer.close();
});

async function viberPeer(answer: () => PeerAnswer | Promise<PeerAnswer> = () => ({ body: okAnswer })) {
  const peer = await startHttpPeer(answer);
  peers.push(peer);
  return peer;
}

function channelTo(peer: { url: string }, overrides: Partial<ViberChannelSettings> = {}): ViberChannel {
  const channel = new ViberChannel({
    baseUrl: peer.url,
    authToken,
    senderName: 'Coffee Club',
    timeoutMs: 2000,
    ...overrides,
  });
  channels.push(channel);
  return channel;
}

const message = (overrides: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
  messageId: 41,
  to: receiver,
  text: 'Your 10% coupon is waiting',
  ...overrides,
});

async function channelRejection(promise: Promise<unknown>): Promise<ChannelError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChannelError);
  return error as ChannelError;
}

describe('ViberChannel', () => {
  it('posts a text message with the auth token and returns the exact message token', async () => {
    const peer = await viberPeer();
    const result = await channelTo(peer).submit(message());
    expect(result).toEqual({ providerMessageId: '5741311803571721087', parts: 1 });
    expect(peer.requests).toHaveLength(1);
    const [request] = peer.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/pa/send_message' });
    expect(request!.headers['x-viber-auth-token']).toBe(authToken);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request!.body)).toEqual({
      receiver,
      sender: { name: 'Coffee Club' },
      type: 'text',
      text: 'Your 10% coupon is waiting',
    });
  });

  it('sends a picture with its text, the avatar, and one open-url button as a keyboard for API version 7', async () => {
    const peer = await viberPeer();
    await channelTo(peer, { senderAvatar: 'https://cdn.example.com/avatar.jpg' }).submit(
      message({
        imageUrl: 'https://cdn.example.com/coupon.jpg',
        button: { text: 'Open coupon', url: 'https://example.com/c/abc' },
      }),
    );
    expect(JSON.parse(peer.requests[0]!.body)).toEqual({
      receiver,
      min_api_version: 7,
      sender: { name: 'Coffee Club', avatar: 'https://cdn.example.com/avatar.jpg' },
      type: 'picture',
      text: 'Your 10% coupon is waiting',
      media: 'https://cdn.example.com/coupon.jpg',
      keyboard: {
        Type: 'keyboard',
        DefaultHeight: false,
        Buttons: [
          {
            ActionType: 'open-url',
            ActionBody: 'https://example.com/c/abc',
            Text: 'Open coupon',
            Columns: 6,
            Rows: 1,
          },
        ],
      },
    });
  });

  it('refuses permanently when the receiver is not subscribed (status 6) or the token is invalid (status 2)', async () => {
    const notSubscribed = await viberPeer(() => ({
      body: { status: 6, status_message: 'receiverNotSubscribed' },
    }));
    const error = await channelRejection(channelTo(notSubscribed).submit(message()));
    expect(error).toMatchObject({ reason: 'not_subscribed', permanent: true });
    expect(error.message).toBe('Viber status 6 (receiverNotSubscribed)');

    const badToken = await viberPeer(() => ({ body: { status: 2, status_message: 'invalidAuthToken' } }));
    expect(await channelRejection(channelTo(badToken).submit(message()))).toMatchObject({
      reason: 'invalid_auth_token',
      permanent: true,
    });
  });

  it('fails transiently on too many requests (status 12), HTTP 500, a non-JSON answer, a timeout and a closed port', async () => {
    const busy = await viberPeer(() => ({ body: { status: 12, status_message: 'tooManyRequests' } }));
    expect(await channelRejection(channelTo(busy).submit(message()))).toMatchObject({
      reason: 'rate_limited',
      permanent: false,
    });

    const broken = await viberPeer(() => ({ status: 500, body: { status: 0, message_token: 1 } }));
    expect(await channelRejection(channelTo(broken).submit(message()))).toMatchObject({
      reason: 'http_500',
      permanent: false,
    });

    const garbled = await viberPeer(() => ({ body: '<html>maintenance</html>' }));
    expect(await channelRejection(channelTo(garbled).submit(message()))).toMatchObject({
      reason: 'bad_answer',
      permanent: false,
    });

    const slow = await viberPeer(
      () => new Promise((resolve) => setTimeout(() => resolve({ body: okAnswer }), 1000)),
    );
    expect(await channelRejection(channelTo(slow, { timeoutMs: 100 }).submit(message()))).toMatchObject({
      reason: 'timeout',
      permanent: false,
    });

    const nobody = { url: `http://127.0.0.1:${await freePort()}` };
    expect(await channelRejection(channelTo(nobody).submit(message()))).toMatchObject({
      reason: 'unreachable',
      permanent: false,
    });
  });

  it('close waits for a message in flight and refuses new ones', async () => {
    const peer = await viberPeer(
      () => new Promise((resolve) => setTimeout(() => resolve({ body: okAnswer }), 200)),
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
    await expect(sending).resolves.toEqual({ providerMessageId: '5741311803571721087', parts: 1 });
    await closing;
    expect(peer.requests).toHaveLength(1);
  });
});

describe('setViberWebhook', () => {
  it('posts the URL and event types to set_webhook with the auth token', async () => {
    const peer = await viberPeer(() => ({
      body: { status: 0, status_message: 'ok', event_types: ['delivered'] },
    }));
    await setViberWebhook(
      { baseUrl: peer.url, authToken, senderName: 'Coffee Club' },
      'https://loyalflow.example.com/hooks/viber/7',
      ['delivered', 'seen', 'failed', 'conversation_started'],
    );
    expect(peer.requests).toHaveLength(1);
    expect(peer.requests[0]).toMatchObject({ method: 'POST', path: '/pa/set_webhook' });
    expect(peer.requests[0]!.headers['x-viber-auth-token']).toBe(authToken);
    expect(JSON.parse(peer.requests[0]!.body)).toEqual({
      url: 'https://loyalflow.example.com/hooks/viber/7',
      event_types: ['delivered', 'seen', 'failed', 'conversation_started'],
      send_name: false,
      send_photo: false,
    });
  });

  it('reports a refused webhook as a ChannelError with the status', async () => {
    const peer = await viberPeer(() => ({ body: { status: 1, status_message: 'invalidUrl' } }));
    const error = await channelRejection(
      setViberWebhook({ baseUrl: peer.url, authToken, senderName: 'Coffee Club' }, 'http://localhost/x', [
        'delivered',
      ]),
    );
    expect(error).toMatchObject({
      reason: 'provider_error',
      permanent: false,
      message: 'Viber status 1 (invalidUrl)',
    });
  });
});

describe('viberDeepLink', () => {
  it('opens the bot by its URI with the token as context', () => {
    expect(viberDeepLink('coffeeclub', 'tok_3f9a-Zq')).toBe(
      'viber://pa?chatURI=coffeeclub&context=tok_3f9a-Zq',
    );
  });
});
