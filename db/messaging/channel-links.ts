import { createHash, randomBytes } from 'node:crypto';
import type { Trx } from '../ledger/store';

export type BotChannel = 'viber' | 'telegram';

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');
/** A link token lives a day: long enough to open the messenger, short enough not to be reused. */
const tokenLifetimeMs = 24 * 3_600_000;

/**
 * A one-time token for a deep link (`https://t.me/<bot>?start=<token>`,
 * `viber://pa?chatURI=<uri>&context=<token>`): the bot receives it when the customer opens the link,
 * and their chat is linked to them. Only its hash is stored.
 */
export async function createLinkToken(
  trx: Trx,
  input: { programId: number; customerId: number; channel: BotChannel; now: Date },
): Promise<{ token: string; expiresAt: Date }> {
  // 32 characters of base64url: within Telegram's 64-character `start` payload.
  const token = randomBytes(24).toString('base64url');
  const expiresAt = new Date(input.now.getTime() + tokenLifetimeMs);
  await trx
    .insertInto('channel_link_tokens')
    .values({
      token_hash: tokenHash(token),
      program_id: input.programId,
      customer_id: input.customerId,
      channel: input.channel,
      created_at: input.now,
      expires_at: expiresAt,
    })
    .execute();
  return { token, expiresAt };
}

/**
 * Links the chat that presented the token to the token's customer, once: a used, expired or foreign
 * token links nothing. A chat linked before to someone else moves to this customer (the phone changed
 * hands; the token proves who holds it now).
 */
export async function linkChat(
  trx: Trx,
  input: { programId: number | null; channel: BotChannel; externalId: string; token: string; at: Date },
): Promise<number | null> {
  const used = await trx
    .updateTable('channel_link_tokens')
    .set({ used_at: input.at })
    .where('token_hash', '=', tokenHash(input.token))
    .where('channel', '=', input.channel)
    .where('used_at', 'is', null)
    .where('expires_at', '>', input.at)
    .$if(input.programId !== null, (q) => q.where('program_id', '=', input.programId!))
    .returning(['program_id', 'customer_id'])
    .executeTakeFirst();
  if (!used) return null;
  await trx
    .insertInto('channel_links')
    .values({
      program_id: used.program_id,
      channel: input.channel,
      external_id: input.externalId,
      customer_id: used.customer_id,
      linked_at: input.at,
    })
    .onConflict((oc) =>
      oc.columns(['program_id', 'channel', 'external_id']).doUpdateSet({
        customer_id: used.customer_id,
        linked_at: input.at,
      }),
    )
    .execute();
  return used.customer_id;
}
