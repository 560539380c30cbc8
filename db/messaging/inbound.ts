import type { Kysely } from 'kysely';
import type { ChannelKind } from '../../engine/messaging/contracts';
import type { InboundEvent } from '../../engine/messaging/inbound';
import type { Database } from '../schema';
import { linkChat, type BotChannel } from './channel-links';
import { withdrawConsent } from './consents';

/** Where inbound events came from: a program's provider, or the platform's local sink (no program). */
export interface InboundSource {
  programId: number | null;
  providerId: number | null;
  channel: Exclude<ChannelKind, 'receipt'>;
}

/** Replies that mean "stop sending me marketing" (an SMS, a bot message). */
const stopWords = /^\/?(stop|стоп|unsubscribe|отписаться|отписка)$/i;

const isBot = (channel: ChannelKind): channel is BotChannel => channel === 'viber' || channel === 'telegram';

/** The customers a reply or an unsubscribe comes from: by phone for SMS, by the linked chat for bots. */
async function customersOf(
  trx: Kysely<Database>,
  source: InboundSource,
  from: string,
): Promise<Array<{ program_id: number; customer_id: number }>> {
  if (isBot(source.channel)) {
    return trx
      .selectFrom('channel_links')
      .select(['program_id', 'customer_id'])
      .where('channel', '=', source.channel)
      .where('external_id', '=', from)
      .$if(source.programId !== null, (q) => q.where('program_id', '=', source.programId!))
      .execute();
  }
  return trx
    .selectFrom('identifiers')
    .innerJoin('customers', 'customers.id', 'identifiers.customer_id')
    .select(['customers.program_id', 'identifiers.customer_id'])
    .where('identifiers.kind', '=', source.channel === 'sms' ? 'phone' : 'email')
    .where('identifiers.value', '=', from)
    .$if(source.programId !== null, (q) => q.where('customers.program_id', '=', source.programId!))
    .execute();
}

/**
 * Applies what a provider reported, each event in its own short transaction: a receipt moves the
 * message it names (`delivered`, `failed`, `seen`); a STOP reply or an unsubscribe withdraws the
 * customer's marketing consent on that channel (source `reply` / `provider`); a link token links the
 * chat. Events naming nothing known are ignored: providers repeat and reorder callbacks. Returns the
 * messages that failed on delivery, for their fallback chains.
 */
export async function recordInbound(
  db: Kysely<Database>,
  source: InboundSource,
  events: readonly InboundEvent[],
): Promise<number[]> {
  const failed: number[] = [];
  for (const event of events) {
    await db.transaction().execute(async (trx) => {
      if (event.kind === 'delivered' || event.kind === 'failed' || event.kind === 'seen') {
        const message = await trx
          .selectFrom('messages')
          .select(['id', 'status'])
          .where('channel', '=', source.channel)
          .where('provider_message_id', '=', event.providerMessageId)
          .$if(source.providerId === null, (q) => q.where('provider_id', 'is', null))
          .$if(source.providerId !== null, (q) => q.where('provider_id', '=', source.providerId))
          .orderBy('id', 'desc')
          .forUpdate()
          .executeTakeFirst();
        if (!message) {
          // Its provider id may not be recorded yet: kept until it is (applyPendingReceipts).
          await trx
            .insertInto('message_receipts_pending')
            .values({
              channel: source.channel,
              provider_id: source.providerId,
              provider_message_id: event.providerMessageId,
              kind: event.kind,
              at: event.at,
              detail: event.detail ?? null,
            })
            .execute();
          return;
        }
        const open = ['sending', 'sent', 'unknown'].includes(message.status);
        // A failed part of a long SMS fails the message even after its first part was delivered.
        const failable = open || message.status === 'delivered';
        if (event.kind === 'delivered' || event.kind === 'seen') {
          await trx
            .updateTable('messages')
            .set((eb) => ({
              ...(open ? { status: 'delivered' as const } : {}),
              delivered_at: eb.fn.coalesce('delivered_at', eb.val(event.at)),
              ...(event.kind === 'seen' ? { seen_at: eb.fn.coalesce('seen_at', eb.val(event.at)) } : {}),
            }))
            .where('id', '=', message.id)
            .execute();
        } else if (failable) {
          await trx
            .updateTable('messages')
            .set({
              status: 'failed',
              failed_at: event.at,
              reason: `undelivered: ${event.detail ?? 'unknown'}`,
            })
            .where('id', '=', message.id)
            .execute();
          failed.push(message.id);
        }
        await trx
          .insertInto('message_events')
          .values({
            message_id: message.id,
            kind: event.kind,
            at: event.at,
            detail: JSON.stringify(event.detail ? { detail: event.detail } : {}),
          })
          .execute();
        return;
      }
      if (event.kind === 'linked') {
        if (isBot(source.channel)) {
          await linkChat(trx, {
            programId: source.programId,
            channel: source.channel,
            externalId: event.from,
            token: event.token,
            at: event.at,
          });
        }
        return;
      }
      if (event.kind === 'reply' && !stopWords.test(event.text.trim())) return;
      const from = event.kind === 'reply' || event.kind === 'unsubscribed' ? event.from : '';
      for (const customer of await customersOf(trx, source, from)) {
        await withdrawConsent(trx, {
          programId: customer.program_id,
          customerId: customer.customer_id,
          channel: source.channel,
          topic: 'all',
          source: event.kind === 'reply' ? 'reply' : 'provider',
          actor: `${source.channel}:${from}`,
          occurredAt: event.at,
        });
        if (event.kind === 'unsubscribed' && isBot(source.channel)) {
          await trx
            .deleteFrom('channel_links')
            .where('program_id', '=', customer.program_id)
            .where('channel', '=', source.channel)
            .where('external_id', '=', from)
            .execute();
        }
      }
    });
  }
  return failed;
}

/**
 * Applies the receipts that came before their messages' provider ids were recorded: called once a
 * batch of sends is recorded. Returns the messages that failed on delivery, for their fallbacks.
 */
export async function applyPendingReceipts(
  db: Kysely<Database>,
  providerMessageIds: readonly string[],
): Promise<number[]> {
  if (providerMessageIds.length === 0) return [];
  const pending = await db
    .deleteFrom('message_receipts_pending')
    .where('provider_message_id', '=', (eb) => eb.fn.any(eb.val([...providerMessageIds])))
    .returningAll()
    .execute();
  const failed: number[] = [];
  for (const receipt of pending.sort((a, b) => a.id - b.id)) {
    const event = {
      kind: receipt.kind,
      providerMessageId: receipt.provider_message_id,
      at: receipt.at,
      ...(receipt.detail !== null ? { detail: receipt.detail } : {}),
    };
    const source = {
      programId: null,
      providerId: receipt.provider_id,
      channel: receipt.channel as InboundSource['channel'],
    };
    failed.push(...(await recordInbound(db, source, [event])));
  }
  return failed;
}

/** A receipt left unmatched this long names a message the platform never recorded: it is dropped. */
const pendingReceiptDays = 7;

/** Drops pending receipts older than a week as of `at` (the maintenance run); how many. */
export async function dropStalePendingReceipts(db: Kysely<Database>, at: Date): Promise<number> {
  const dropped = await db
    .deleteFrom('message_receipts_pending')
    .where('received_at', '<', new Date(at.getTime() - pendingReceiptDays * 86_400_000))
    .executeTakeFirst();
  return Number(dropped.numDeletedRows);
}

/**
 * Pending receipts whose message has its provider id by now (a receipt recorded on another worker
 * while this one was committing the send): applied. The sender runs it with its recovery sweep.
 */
export async function applyMatchedPendingReceipts(db: Kysely<Database>): Promise<number[]> {
  const matched = await db
    .selectFrom('message_receipts_pending as p')
    .innerJoin('messages as m', (join) =>
      join.onRef('m.provider_message_id', '=', 'p.provider_message_id').onRef('m.channel', '=', 'p.channel'),
    )
    .select('p.provider_message_id')
    .distinct()
    .limit(500)
    .execute();
  return applyPendingReceipts(
    db,
    matched.map((row) => row.provider_message_id),
  );
}
