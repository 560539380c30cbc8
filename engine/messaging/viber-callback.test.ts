import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseViberCallback, parseViberJson, verifyViberSignature } from './viber-callback';

const authToken = '4453b6ac12345678-e02c5f12174805f9-daec9cbb5448c51f';
const sign = (body: string, key = authToken) => createHmac('sha256', key).update(body).digest('hex');
const timestamp = 1_773_144_000_000;
const at = new Date(timestamp);

describe('verifyViberSignature', () => {
  const body = `{"event":"delivered","timestamp":${timestamp},"message_token":5741311803571721087,"user_id":"01234567890A="}`;

  it('accepts a body signed with the auth token, as a string or as bytes, in either hex case', () => {
    expect(verifyViberSignature(body, sign(body), authToken)).toBe(true);
    expect(verifyViberSignature(Buffer.from(body), sign(body), authToken)).toBe(true);
    expect(verifyViberSignature(body, sign(body).toUpperCase(), authToken)).toBe(true);
  });

  it('refuses a tampered body, another key, a missing or malformed header and an empty token', () => {
    expect(verifyViberSignature(body.replace('delivered', 'seen'), sign(body), authToken)).toBe(false);
    expect(verifyViberSignature(body, sign(body, 'another-token'), authToken)).toBe(false);
    expect(verifyViberSignature(body, undefined, authToken)).toBe(false);
    expect(verifyViberSignature(body, '', authToken)).toBe(false);
    expect(verifyViberSignature(body, sign(body).slice(0, 62), authToken)).toBe(false);
    expect(verifyViberSignature(body, `${sign(body).slice(0, 63)}z`, authToken)).toBe(false);
    expect(verifyViberSignature(body, sign(body, ''), '')).toBe(false);
  });
});

describe('parseViberJson', () => {
  it('keeps every digit of a 64-bit message token and leaves the same words inside strings alone', () => {
    expect(
      parseViberJson(
        '{"status":0,"message_token" : 5741311803571721087,"text":"\\"message_token\\":12345678901234567890"}',
      ),
    ).toEqual({
      status: 0,
      message_token: '5741311803571721087',
      text: '"message_token":12345678901234567890',
    });
  });
});

describe('parseViberCallback', () => {
  const parse = (body: object) => parseViberCallback(JSON.stringify(body));

  it('turns delivered, seen and failed receipts into events keyed by the exact message token', () => {
    const receipt = (event: string, extra = '') =>
      `{"event":"${event}","timestamp":${timestamp},"chat_hostname":"SN-CHAT-05_","message_token":5741311803571721087,"user_id":"01234567890A="${extra}}`;
    expect(parseViberCallback(receipt('delivered'))).toEqual([
      { kind: 'delivered', providerMessageId: '5741311803571721087', at },
    ]);
    expect(parseViberCallback(Buffer.from(receipt('seen')))).toEqual([
      { kind: 'seen', providerMessageId: '5741311803571721087', at },
    ]);
    expect(parseViberCallback(receipt('failed', ',"desc":"receiver is not subscribed"'))).toEqual([
      { kind: 'failed', providerMessageId: '5741311803571721087', at, detail: 'receiver is not subscribed' },
    ]);
  });

  it('turns unsubscribed into the user leaving the channel', () => {
    expect(
      parse({ event: 'unsubscribed', timestamp, user_id: '01234567890A=', message_token: 491266184665523 }),
    ).toEqual([{ kind: 'unsubscribed', from: '01234567890A=', at }]);
  });

  it('links the user of conversation_started and subscribed when the deep link carried a context', () => {
    const user = { id: '01234567890A=', name: 'John McClane', api_version: 8 };
    expect(
      parse({
        event: 'conversation_started',
        timestamp,
        message_token: 491266184665523,
        type: 'open',
        context: 'tok_3f9a-Zq',
        user,
        subscribed: false,
      }),
    ).toEqual([{ kind: 'linked', from: '01234567890A=', token: 'tok_3f9a-Zq', at }]);
    expect(parse({ event: 'subscribed', timestamp, user, context: 'tok_3f9a-Zq' })).toEqual([
      { kind: 'linked', from: '01234567890A=', token: 'tok_3f9a-Zq', at },
    ]);
    expect(
      parse({ event: 'conversation_started', timestamp, type: 'open', user, subscribed: false }),
    ).toEqual([]);
    expect(parse({ event: 'subscribed', timestamp, user, context: '' })).toEqual([]);
  });

  it('turns a text message into a reply from its sender and ignores messages without text', () => {
    const sender = { id: '01234567890A=', name: 'John McClane' };
    expect(
      parse({
        event: 'message',
        timestamp,
        sender,
        message: { type: 'text', text: 'STOP', tracking_data: 'x' },
      }),
    ).toEqual([{ kind: 'reply', from: '01234567890A=', text: 'STOP', at }]);
    expect(
      parse({ event: 'message', timestamp, sender, message: { type: 'picture', media: 'https://x/y.jpg' } }),
    ).toEqual([]);
  });

  it('gives nothing for the webhook check, unknown events and bodies of another shape', () => {
    expect(parse({ event: 'webhook', timestamp, chat_hostname: 'SN-CHAT-05_', message_token: 1 })).toEqual(
      [],
    );
    expect(parse({ event: 'client_status', timestamp })).toEqual([]);
    expect(parse({ event: 'delivered', timestamp: 'yesterday', message_token: 1 })).toEqual([]);
    expect(parse({ event: 'unsubscribed', timestamp })).toEqual([]);
    expect(parseViberCallback('not json')).toEqual([]);
    expect(parseViberCallback('[]')).toEqual([]);
  });
});
