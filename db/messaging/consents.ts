import type { Kysely } from 'kysely';
import type {
  ConsentLedgerPage,
  LedgerSource,
  WithdrawalSource,
} from '../../engine/messaging/consent-contracts';
import type { ConsentState } from '../../engine/messaging/consent';
import type { ChannelKind } from '../../engine/messaging/contracts';
import { DomainError } from '../../engine/errors';
import { recordAudit } from '../audit';
import type { Trx } from '../ledger/store';
import type { Database } from '../schema';

/** One statement of a customer: yes or no to marketing on a channel, for a topic or `all`. */
export interface ConsentStatement {
  channel: ChannelKind;
  topic: string;
  granted: boolean;
}

/**
 * Records what a customer stated, in the caller's transaction: every statement is a ledger row, a
 * repetition of the current choice too (the ledger keeps each statement with its source). The state
 * follows a statement only when it is not older, in business time, than the state's: a late import of
 * an old choice stays in the ledger without bringing that choice back. Statements of one customer are
 * ordered by the lock on the customer's row. Answers the customer's resulting state.
 */
export async function recordConsents(
  trx: Trx,
  input: {
    programId: number;
    customerId: number;
    changes: readonly ConsentStatement[];
    source: LedgerSource;
    actor: string;
    occurredAt: Date;
  },
): Promise<ConsentState[]> {
  const customer = await trx
    .selectFrom('customers')
    .select('id')
    .where('id', '=', input.customerId)
    .where('program_id', '=', input.programId)
    .forUpdate()
    .executeTakeFirst();
  if (!customer)
    throw new DomainError('customer_not_found', 'no such customer in the program', 404, 'customer');
  const entries = await trx
    .insertInto('customer_consents')
    .values(
      input.changes.map((change) => ({
        program_id: input.programId,
        customer_id: input.customerId,
        channel: change.channel,
        topic: change.topic,
        granted: change.granted,
        source: input.source,
        actor: input.actor,
        occurred_at: input.occurredAt,
      })),
    )
    .returning(['id', 'channel', 'topic', 'granted'])
    .execute();
  // One state row per key: of two statements of one key in a call, the later one is the state.
  const latest = new Map(entries.map((entry) => [`${entry.channel}/${entry.topic}`, entry]));
  await trx
    .insertInto('customer_consent_state')
    .values(
      [...latest.values()].map((entry) => ({
        customer_id: input.customerId,
        channel: entry.channel,
        topic: entry.topic,
        program_id: input.programId,
        granted: entry.granted,
        occurred_at: input.occurredAt,
        consent_id: entry.id,
      })),
    )
    .onConflict((oc) =>
      oc
        .columns(['customer_id', 'channel', 'topic'])
        .doUpdateSet((eb) => ({
          granted: eb.ref('excluded.granted'),
          occurred_at: eb.ref('excluded.occurred_at'),
          consent_id: eb.ref('excluded.consent_id'),
        }))
        // Equal business times: the statement recorded last is the customer's last word.
        .where('customer_consent_state.occurred_at', '<=', (eb) => eb.ref('excluded.occurred_at')),
    )
    .execute();
  await recordAudit(trx, {
    programId: input.programId,
    actor: input.actor,
    action: 'customer.consent',
    subject: `customer:${input.customerId}`,
    changes: { source: input.source, consents: input.changes },
    occurredAt: input.occurredAt,
  });
  return (await consentStates(trx, [input.customerId])).get(input.customerId) ?? [];
}

/**
 * A withdrawal the platform receives itself (an unsubscribe link, a STOP reply, a provider's
 * unsubscribe): a `no` statement like any other, so a later grant the customer gives counts again.
 */
export function withdrawConsent(
  trx: Trx,
  input: {
    programId: number;
    customerId: number;
    channel: ChannelKind;
    topic: string;
    source: WithdrawalSource;
    actor: string;
    occurredAt: Date;
  },
): Promise<ConsentState[]> {
  return recordConsents(trx, {
    programId: input.programId,
    customerId: input.customerId,
    changes: [{ channel: input.channel, topic: input.topic, granted: false }],
    source: input.source,
    actor: input.actor,
    occurredAt: input.occurredAt,
  });
}

/** The current state of several customers in one query (the sender decides a batch at once). */
export async function consentStates(
  db: Kysely<Database>,
  customerIds: readonly number[],
): Promise<Map<number, ConsentState[]>> {
  const states = new Map<number, ConsentState[]>();
  if (customerIds.length === 0) return states;
  const rows = await db
    .selectFrom('customer_consent_state')
    .select(['customer_id', 'channel', 'topic', 'granted', 'occurred_at'])
    .where('customer_id', '=', (eb) => eb.fn.any(eb.val([...customerIds])))
    .orderBy('customer_id')
    .orderBy('channel')
    .orderBy('topic')
    .execute();
  for (const row of rows) {
    const state = {
      channel: row.channel,
      topic: row.topic,
      granted: row.granted,
      occurredAt: row.occurred_at,
    };
    const list = states.get(row.customer_id);
    if (list) list.push(state);
    else states.set(row.customer_id, [state]);
  }
  return states;
}

/** A customer's statements, newest recorded first, keyset-paginated by entry id. */
export async function consentLedger(
  db: Kysely<Database>,
  customerId: number,
  page: { cursor?: number | undefined; limit: number },
): Promise<ConsentLedgerPage> {
  let q = db
    .selectFrom('customer_consents')
    .select(['id', 'channel', 'topic', 'granted', 'source', 'actor', 'occurred_at', 'recorded_at'])
    .where('customer_id', '=', customerId)
    .orderBy('id', 'desc')
    .limit(page.limit + 1);
  if (page.cursor) q = q.where('id', '<', page.cursor);
  const rows = await q.execute();
  const items = rows.slice(0, page.limit);
  return {
    items: items.map((r) => ({
      id: r.id,
      channel: r.channel,
      topic: r.topic,
      granted: r.granted,
      // Written only by recordConsents, whose source is a LedgerSource.
      source: r.source as LedgerSource,
      actor: r.actor,
      occurredAt: r.occurred_at.toISOString(),
      recordedAt: r.recorded_at.toISOString(),
    })),
    nextCursor: rows.length > page.limit ? items[items.length - 1]!.id : null,
  };
}
