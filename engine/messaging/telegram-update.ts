import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { InboundEvent } from './inbound';

/**
 * Telegram proves a webhook call is its own by echoing the `secret_token` given to `setWebhook` in
 * `X-Telegram-Bot-Api-Secret-Token`. Both sides are hashed first so the comparison takes the same
 * time whatever the header's length.
 */
export function verifyTelegramSecret(headerValue: string | undefined, expected: string): boolean {
  if (headerValue === undefined || expected === '') return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(headerValue), digest(expected));
}

/** A `start` payload as Telegram passes it through a `t.me/<bot>?start=` link. */
export const telegramStartTokenPattern = /^[A-Za-z0-9_-]{1,64}$/;

const at = z.number().transform((seconds) => new Date(seconds * 1000));
// Only a private chat is one person; groups the bot was added to are nobody's channel.
const privateChat = z.object({ id: z.number(), type: z.literal('private') });

const updateSchema = z.union([
  z.object({ message: z.object({ chat: privateChat, date: at, text: z.string() }) }),
  z.object({
    my_chat_member: z.object({
      chat: privateChat,
      date: at,
      new_chat_member: z.object({ status: z.string() }),
    }),
  }),
]);

const startCommand = /^\/start(?:@\w+)?(?:\s+(\S+))?\s*$/;
const stopCommand = /^\/stop(?:@\w+)?$/i;
const stopWords = new Set(['STOP', 'СТОП']);

/**
 * The events one webhook update carries. `/start <token>` links the chat; `/stop` and a bare
 * STOP/СТОП (any case) arrive as the reply `STOP`, the one word the reply handler has to know; other
 * text arrives as written. A user blocking the bot (`my_chat_member` → `kicked`) unsubscribes the
 * chat. Everything else (edits, media, groups, callback queries) gives nothing.
 */
export function parseTelegramUpdate(update: unknown): InboundEvent[] {
  const parsed = updateSchema.safeParse(update);
  if (!parsed.success) return [];
  if ('message' in parsed.data) {
    const { chat, date, text } = parsed.data.message;
    const from = String(chat.id);
    const token = startCommand.exec(text)?.[1];
    if (token !== undefined && telegramStartTokenPattern.test(token)) {
      return [{ kind: 'linked', from, token, at: date }];
    }
    const trimmed = text.trim();
    const stop = stopCommand.test(trimmed) || stopWords.has(trimmed.toUpperCase());
    return [{ kind: 'reply', from, text: stop ? 'STOP' : text, at: date }];
  }
  const { chat, date, new_chat_member } = parsed.data.my_chat_member;
  return new_chat_member.status === 'kicked'
    ? [{ kind: 'unsubscribed', from: String(chat.id), at: date }]
    : [];
}
