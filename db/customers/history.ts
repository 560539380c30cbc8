import { sql, type Kysely } from 'kysely';
import type { HistoryQuery } from '../../engine/contracts/history';
import type { Database } from '../schema';

export interface HistoryItem {
  lineId: number;
  entryId: number;
  kind: string;
  occurredAt: string;
  recordedAt: string;
  accountKind: string;
  currency: string;
  amount: number;
  actor: string;
  reason: string | null;
  storeId: number | null;
  cardId: number | null;
}

/**
 * A customer's operations, newest first, one item per journal line: every line on the customer's own
 * accounts, on the accounts of customers merged into them, and on the master account they belong to;
 * filterable by card, kind and business-time window. Ordered by entry, then line; the cursor is the
 * last line's id, so a page boundary inside an entry of two lines (a merge, a pool join) loses none.
 */
export async function customerHistory(
  db: Kysely<Database>,
  customerId: number,
  query: Omit<HistoryQuery, 'customer' | 'card'> & { cardId?: number },
): Promise<{ items: HistoryItem[]; nextCursor: number | null }> {
  const accounts = db
    .selectFrom('accounts')
    .select('id')
    .where((eb) =>
      eb.or([
        eb('customer_id', '=', customerId),
        eb(
          'customer_id',
          'in',
          eb.selectFrom('customers').select('id').where('merged_into', '=', customerId),
        ),
        eb(
          'master_account_id',
          '=',
          eb.selectFrom('customers').select('master_account_id').where('id', '=', customerId),
        ),
      ]),
    );
  let q = db
    .selectFrom('journal_lines as l')
    .innerJoin('journal_entries as e', 'e.id', 'l.entry_id')
    .innerJoin('accounts as a', 'a.id', 'l.account_id')
    .select([
      'l.id as lineId',
      'e.id as entryId',
      'e.kind',
      'e.occurred_at',
      'e.recorded_at',
      'a.kind as accountKind',
      'l.currency',
      'l.amount',
      'e.actor',
      'e.reason',
      sql<number | null>`(e.details->>'storeId')::bigint`.as('storeId'),
      sql<number | null>`(e.details->>'cardId')::bigint`.as('cardId'),
    ])
    .where('l.account_id', 'in', accounts)
    .orderBy('l.entry_id', 'desc')
    .orderBy('l.id', 'desc')
    .limit(query.limit + 1);
  if (query.cursor) {
    q = q.where(
      sql<boolean>`(l.entry_id, l.id) < (select c.entry_id, c.id from journal_lines c where c.id = ${query.cursor})`,
    );
  }
  if (query.kinds?.length) q = q.where('e.kind', 'in', query.kinds);
  if (query.from) q = q.where('e.occurred_at', '>=', new Date(query.from));
  if (query.to) q = q.where('e.occurred_at', '<', new Date(query.to));
  if (query.cardId) q = q.where(sql<boolean>`(e.details->>'cardId')::bigint = ${query.cardId}`);
  const rows = await q.execute();
  const page = rows.slice(0, query.limit);
  return {
    items: page.map((r) => ({
      lineId: r.lineId,
      entryId: r.entryId,
      kind: r.kind,
      occurredAt: r.occurred_at.toISOString(),
      recordedAt: r.recorded_at.toISOString(),
      accountKind: r.accountKind,
      currency: r.currency,
      amount: r.amount,
      actor: r.actor,
      reason: r.reason,
      storeId: r.storeId === null ? null : Number(r.storeId),
      cardId: r.cardId === null ? null : Number(r.cardId),
    })),
    nextCursor: rows.length > query.limit ? page[page.length - 1]!.lineId : null,
  };
}

/** Who changed what about a customer, newest first. */
export async function customerAudit(
  db: Kysely<Database>,
  programId: number,
  customerId: number,
  query: { cursor?: number; limit: number },
) {
  let q = db
    .selectFrom('audit_log')
    .select(['id', 'actor', 'action', 'changes', 'occurred_at', 'recorded_at'])
    .where('program_id', '=', programId)
    .where('subject', '=', `customer:${customerId}`)
    .orderBy('id', 'desc')
    .limit(query.limit + 1);
  if (query.cursor) q = q.where('id', '<', query.cursor);
  const rows = await q.execute();
  const page = rows.slice(0, query.limit);
  return {
    items: page.map((r) => ({
      id: r.id,
      actor: r.actor,
      action: r.action,
      changes: r.changes,
      occurredAt: r.occurred_at.toISOString(),
      recordedAt: r.recorded_at.toISOString(),
    })),
    nextCursor: rows.length > query.limit ? page[page.length - 1]!.id : null,
  };
}
