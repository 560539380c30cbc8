import type { Kysely } from 'kysely';
import type { Database } from '../schema';
import { withdrawConsent } from './consents';
import { timingSafeEqual } from 'node:crypto';
import { trackedLinkSignature } from './queue-parts';

/** The message behind a tracking token, or undefined. */
function byToken(db: Kysely<Database>, token: string) {
  return db
    .selectFrom('messages')
    .select(['id', 'program_id', 'customer_id', 'channel', 'topic', 'purpose'])
    .where('tracking_token', '=', token)
    .executeTakeFirst();
}

async function mark(
  db: Kysely<Database>,
  token: string,
  column: 'opened_at' | 'clicked_at',
  at: Date,
  detail: Record<string, unknown>,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const message = await trx
      .updateTable('messages')
      .set((eb) => ({ [column]: eb.fn.coalesce(column, eb.val(at)) }))
      .where('tracking_token', '=', token)
      .returning('id')
      .executeTakeFirst();
    if (!message) return false;
    await trx
      .insertInto('message_events')
      .values({
        message_id: message.id,
        kind: column === 'opened_at' ? 'opened' : 'clicked',
        at,
        detail: JSON.stringify(detail),
      })
      .execute();
    return true;
  });
}

/** The open pixel was loaded: the first open is kept on the message, every one in its events. */
export function recordOpen(db: Kysely<Database>, token: string, at: Date): Promise<boolean> {
  return mark(db, token, 'opened_at', at, {});
}

/**
 * A tracked link was followed: answers where to send the reader, or null for a link the platform did
 * not sign (the redirect is no open redirector for anyone's URLs).
 */
export async function recordClick(
  db: Kysely<Database>,
  input: { token: string; url: string; signature: string; secret: string; at: Date },
): Promise<string | null> {
  const expected = Buffer.from(trackedLinkSignature(input.secret, input.token, input.url));
  const given = Buffer.from(input.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  return (await mark(db, input.token, 'clicked_at', input.at, { url: input.url })) ? input.url : null;
}

/**
 * The unsubscribe link of a message (or its one-click POST, RFC 8058): withdraws marketing consent
 * for the message's channel and topic (`all` for a message without one). Answers what was withdrawn.
 */
export async function unsubscribeByToken(
  db: Kysely<Database>,
  token: string,
  at: Date,
): Promise<{ channel: string; topic: string } | null> {
  const message = await byToken(db, token);
  if (!message || message.customer_id === null) return null;
  const topic = message.topic ?? 'all';
  await db.transaction().execute(async (trx) => {
    await withdrawConsent(trx, {
      programId: message.program_id,
      customerId: message.customer_id!,
      channel: message.channel,
      topic,
      source: 'link',
      actor: `message:${message.id}`,
      occurredAt: at,
    });
    await trx
      .insertInto('message_events')
      .values({ message_id: message.id, kind: 'unsubscribed', at, detail: JSON.stringify({ topic }) })
      .execute();
  });
  return { channel: message.channel, topic };
}
