import { sql, type Kysely, type Transaction } from 'kysely';
import { assertBalanced, netLines, type JournalLine } from '../../engine/ledger/journal';
import type { Lot, LotDraw } from '../../engine/ledger/lots';
import type { AccountKind, Database } from '../schema';

export type Trx = Transaction<Database>;

export interface LockedAccount {
  id: number;
  programId: number;
  kind: AccountKind;
  currency: string;
  balance: number;
  debt: number;
}

/** Locks the account row for the rest of the transaction: every balance change goes through this. */
export async function lockAccount(trx: Trx, accountId: number): Promise<LockedAccount> {
  const row = await trx
    .selectFrom('accounts')
    .select(['id', 'program_id', 'kind', 'currency', 'balance', 'debt'])
    .where('id', '=', accountId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  return {
    id: row.id,
    programId: row.program_id,
    kind: row.kind,
    currency: row.currency,
    balance: row.balance,
    debt: row.debt,
  };
}

/** The account as it is now, without a lock (reads, or re-reads inside a transaction that holds it). */
export async function readAccount(trx: Kysely<Database>, accountId: number): Promise<LockedAccount> {
  const row = await trx
    .selectFrom('accounts')
    .select(['id', 'program_id', 'kind', 'currency', 'balance', 'debt'])
    .where('id', '=', accountId)
    .executeTakeFirstOrThrow();
  return {
    id: row.id,
    programId: row.program_id,
    kind: row.kind,
    currency: row.currency,
    balance: row.balance,
    debt: row.debt,
  };
}

/** The open lots of an account (remaining > 0). */
export async function openLots(trx: Kysely<Database>, accountId: number): Promise<Lot[]> {
  const rows = await trx
    .selectFrom('lots')
    .select(['id', 'remaining', 'activates_at', 'expires_at'])
    .where('account_id', '=', accountId)
    .where('remaining', '>', 0)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    remaining: r.remaining,
    activatesAt: r.activates_at,
    expiresAt: r.expires_at,
  }));
}

/** The program's counter-account for a role and currency (issuance, redemption, expiry, …), created on first use. */
export async function programAccount(
  trx: Trx,
  programId: number,
  role: string,
  currency: string,
): Promise<number> {
  const inserted = await trx
    .insertInto('accounts')
    .values({ program_id: programId, kind: 'program', currency, role })
    .onConflict((oc) =>
      oc.columns(['program_id', 'role', 'currency']).where('kind', '=', 'program').doNothing(),
    )
    .returning('id')
    .executeTakeFirst();
  if (inserted) return inserted.id;
  const row = await trx
    .selectFrom('accounts')
    .select('id')
    .where('program_id', '=', programId)
    .where('kind', '=', 'program')
    .where('role', '=', role)
    .where('currency', '=', currency)
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface EntryInput {
  programId: number;
  kind: string;
  /** Business time: when it happened at the till or in the back office. */
  occurredAt: Date;
  actor: string;
  reason?: string | null;
  reverses?: number | null;
  details?: Record<string, unknown>;
  lines: JournalLine[];
}

/**
 * Writes a balanced entry and moves the customer-side balance projections with it. Program accounts
 * keep no projection (their balance is the sum of their lines), so concurrent entries never queue on
 * one hot program row.
 */
export async function postEntry(trx: Trx, entry: EntryInput): Promise<number> {
  const lines = netLines(entry.lines);
  assertBalanced(lines);
  const { id } = await trx
    .insertInto('journal_entries')
    .values({
      program_id: entry.programId,
      kind: entry.kind,
      occurred_at: entry.occurredAt,
      actor: entry.actor,
      reason: entry.reason ?? null,
      reverses: entry.reverses ?? null,
      details: JSON.stringify(entry.details ?? {}),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (lines.length > 0) {
    await trx
      .insertInto('journal_lines')
      .values(
        lines.map((l) => ({ entry_id: id, account_id: l.accountId, currency: l.currency, amount: l.amount })),
      )
      .execute();
    for (const line of lines) {
      await trx
        .updateTable('accounts')
        .set({ balance: sql`balance + ${line.amount}` })
        .where('id', '=', line.accountId)
        .where('kind', '<>', 'program')
        .execute();
    }
  }
  return id;
}

/** Applies lot draws (negative movements) or restorations (positive) for an entry. */
export async function moveLots(
  trx: Trx,
  entryId: number,
  draws: readonly LotDraw[],
  sign: -1 | 1,
): Promise<void> {
  if (draws.length === 0) return;
  await trx
    .insertInto('lot_movements')
    .values(draws.map((d) => ({ entry_id: entryId, lot_id: d.lotId, amount: sign * d.amount })))
    .execute();
  for (const d of draws) {
    await trx
      .updateTable('lots')
      .set({ remaining: sql`remaining + ${sign * d.amount}` })
      .where('id', '=', d.lotId)
      .execute();
  }
}

export async function createLot(
  trx: Trx,
  lot: { accountId: number; entryId: number; amount: number; activatesAt: Date; expiresAt: Date | null },
): Promise<number> {
  const { id } = await trx
    .insertInto('lots')
    .values({
      account_id: lot.accountId,
      entry_id: lot.entryId,
      amount: lot.amount,
      remaining: lot.amount,
      activates_at: lot.activatesAt,
      expires_at: lot.expiresAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

export async function setDebt(trx: Trx, accountId: number, debt: number): Promise<void> {
  await trx.updateTable('accounts').set({ debt }).where('id', '=', accountId).execute();
}
