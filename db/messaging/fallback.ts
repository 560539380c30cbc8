import { sql, type Kysely } from 'kysely';
import { DomainError } from '../../engine/errors';
import type { ChannelKind } from '../../engine/messaging/contracts';
import type { TemplateVariables } from '../../engine/messaging/template-catalogue';
import type { Database } from '../schema';
import { queueMessage, type MessagingContext } from './queue';

/**
 * Moves failed messages along their fallback chains (Viber → SMS): each gets a successor on the next
 * channels that can take it, rendered anew for that channel, linked by `previous_message_id`, with an
 * idempotency key derived from the failed one's so a repeated call queues nothing twice. A message
 * with a sealed secret (a one-time code, a token link) has no successor: the secret is not kept
 * readable to render again, and the customer asks again.
 */
export async function queueFallbacks(
  db: Kysely<Database>,
  context: MessagingContext,
  messageIds: readonly number[],
  now: Date,
): Promise<number[]> {
  if (messageIds.length === 0) return [];
  const rows = await db
    .selectFrom('messages')
    .select([
      'id',
      'program_id',
      'customer_id',
      'kind',
      'campaign',
      'fallback',
      'payload',
      'idempotency_key',
      'occurred_at',
    ])
    .where('id', '=', (eb) => eb.fn.any(eb.val([...messageIds])))
    .where('status', '=', 'failed')
    .execute();
  const queued: number[] = [];
  for (const row of rows) {
    const fallback = row.fallback as ChannelKind[];
    const request = (
      row.payload as {
        request?: {
          template: string;
          sealed?: boolean;
          variables?: Partial<TemplateVariables>;
          couponId?: number;
        };
      }
    ).request;
    if (!fallback.length || !request || request.sealed || row.customer_id === null) continue;
    const next = await db.transaction().execute(async (trx) => {
      try {
        return await queueMessage(
          trx,
          context,
          {
            programId: row.program_id,
            customerId: row.customer_id!,
            template: request.template,
            channels: fallback,
            kind: row.kind,
            campaign: row.campaign,
            idempotencyKey: `${row.idempotency_key}>fallback`,
            occurredAt: row.occurred_at,
            variables: request.variables,
            couponId: request.couponId,
            previousMessageId: row.id,
          },
          now,
        );
      } catch (error) {
        // No channel left that could deliver it: the failure stands, and says so.
        if (!(error instanceof DomainError)) throw error;
        await trx
          .insertInto('message_events')
          .values({
            message_id: row.id,
            kind: 'fallback',
            at: now,
            detail: JSON.stringify({ refused: error.message }),
          })
          .execute();
        return null;
      }
    });
    if (!next) continue;
    await db
      .insertInto('message_events')
      .values({
        message_id: row.id,
        kind: 'fallback',
        at: now,
        detail: JSON.stringify({ messageId: next.messageId, channel: next.channel, status: next.status }),
      })
      .execute();
    queued.push(next.messageId);
  }
  return queued;
}

/**
 * Failed messages of the last day whose fallback was never queued (the sender stopped between
 * recording the failure and queueing the successor): moved along their chains now. A message whose
 * chain was tried (a successor, or a `fallback` event saying none could take it) is left alone.
 */
export async function queueMissedFallbacks(
  db: Kysely<Database>,
  context: MessagingContext,
  now: Date,
  /** Failures younger than this are the live sender's to move on; the sweep leaves them alone. */
  graceMs: number,
): Promise<number> {
  const missed = await db
    .selectFrom('messages as m')
    .select('m.id')
    .where('m.status', '=', 'failed')
    .where(sql<boolean>`m.fallback <> '[]'::jsonb`)
    .where('m.failed_at', '>', new Date(now.getTime() - 86_400_000))
    .where('m.failed_at', '<', new Date(now.getTime() - graceMs))
    // Sealed messages and messages of no customer never get a successor (see queueFallbacks).
    .where('m.customer_id', 'is not', null)
    .where(sql<boolean>`m.payload -> 'request' ->> 'sealed' is null`)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('messages as n').select('n.id').whereRef('n.previous_message_id', '=', 'm.id'))),
    )
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('message_events as e')
            .select('e.id')
            .whereRef('e.message_id', '=', 'm.id')
            .where('e.kind', '=', 'fallback'),
        ),
      ),
    )
    .orderBy('m.failed_at')
    .limit(500)
    .execute();
  return (
    await queueFallbacks(
      db,
      context,
      missed.map((row) => row.id),
      now,
    )
  ).length;
}
