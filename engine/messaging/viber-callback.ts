import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { InboundEvent } from './inbound';

/**
 * Viber's `message_token` is a 64-bit integer, more digits than a JavaScript number keeps exactly.
 * Quoting it before `JSON.parse` keeps every digit, so a receipt's token equals the one `send_message`
 * answered. Only a key can be `"message_token"` followed by a colon: inside a JSON string its quotes
 * would be escaped.
 */
export function parseViberJson(text: string): unknown {
  return JSON.parse(text.replace(/"message_token"(\s*):(\s*)(-?\d+)/g, '"message_token"$1:$2"$3"'));
}

/**
 * Viber signs every callback with `X-Viber-Content-Signature`: the hex HMAC-SHA256 of the raw body,
 * keyed by the bot's auth token. The body must be the bytes as received, before any JSON parsing.
 */
export function verifyViberSignature(
  rawBody: string | Buffer,
  signatureHeader: string | undefined,
  authToken: string,
): boolean {
  if (!signatureHeader || !/^[0-9a-f]{64}$/i.test(signatureHeader) || authToken === '') return false;
  const expected = createHmac('sha256', authToken).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(signatureHeader, 'hex'));
}

const at = z.number().transform((ms) => new Date(ms));
const userId = z.string().min(1);

const callbackSchema = z.discriminatedUnion('event', [
  z.object({
    event: z.enum(['delivered', 'seen', 'failed']),
    timestamp: at,
    message_token: z.string(),
    desc: z.string().optional(),
  }),
  z.object({ event: z.literal('unsubscribed'), timestamp: at, user_id: userId }),
  z.object({
    event: z.enum(['conversation_started', 'subscribed']),
    timestamp: at,
    user: z.object({ id: userId }),
    context: z.string().optional(),
  }),
  z.object({
    event: z.literal('message'),
    timestamp: at,
    sender: z.object({ id: userId }),
    message: z.object({ text: z.string().optional() }),
  }),
]);

/**
 * The events one Viber callback carries, from its raw body (see `parseViberJson` for why raw).
 * `webhook` (the check Viber makes when the webhook is set), events without anything to record and
 * bodies of an unknown shape give none: the endpoint acknowledges them all, or Viber retries.
 */
export function parseViberCallback(rawBody: string | Buffer): InboundEvent[] {
  let body: unknown;
  try {
    body = parseViberJson(rawBody.toString());
  } catch {
    return [];
  }
  const parsed = callbackSchema.safeParse(body);
  if (!parsed.success) return [];
  const callback = parsed.data;
  switch (callback.event) {
    case 'delivered':
    case 'seen':
    case 'failed':
      return [
        {
          kind: callback.event,
          providerMessageId: callback.message_token,
          at: callback.timestamp,
          ...(callback.desc === undefined ? {} : { detail: callback.desc }),
        },
      ];
    case 'unsubscribed':
      return [{ kind: 'unsubscribed', from: callback.user_id, at: callback.timestamp }];
    case 'conversation_started':
    case 'subscribed':
      // The deep link `viber://pa?chatURI=…&context=<token>` hands its token over as `context`;
      // opening the bot without one links nobody.
      return callback.context
        ? [{ kind: 'linked', from: callback.user.id, token: callback.context, at: callback.timestamp }]
        : [];
    case 'message':
      // Pictures, stickers and contacts carry no text a customer could mean as an answer.
      return callback.message.text === undefined
        ? []
        : [{ kind: 'reply', from: callback.sender.id, text: callback.message.text, at: callback.timestamp }];
  }
}
