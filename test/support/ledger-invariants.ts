import { sql } from 'kysely';
import type { DB } from '../../db/database';

/**
 * The ledger's invariants, checked straight in SQL: every entry balances per currency; every customer
 * account's projection equals the sum of its journal lines and the sum of its lot remainders less debt;
 * every lot's remainder equals its amount plus its movements and stays within [0, amount]; a customer
 * account's `burnt` is what its expiry lines took; journal lines carry their entry's business time and
 * lot movements their lot's account.
 */
export async function ledgerViolations(db: DB): Promise<string[]> {
  const problems: string[] = [];
  const unbalanced = await sql<{ entry_id: number; currency: string; sum: string }>`
    select entry_id, currency, sum(amount)::text as sum from journal_lines group by entry_id, currency having sum(amount) <> 0`.execute(
    db,
  );
  for (const r of unbalanced.rows) problems.push(`entry ${r.entry_id} (${r.currency}) sums to ${r.sum}`);

  const accounts = await sql<{
    id: number;
    kind: string;
    balance: string;
    journal: string;
    lots: string;
    debt: string;
  }>`
    select a.id, a.kind, a.balance::text, a.debt::text,
      coalesce((select sum(amount) from journal_lines l where l.account_id = a.id), 0)::text as journal,
      coalesce((select sum(remaining) from lots where lots.account_id = a.id), 0)::text as lots
    from accounts a where a.kind <> 'program'`.execute(db);
  for (const a of accounts.rows) {
    if (a.balance !== a.journal)
      problems.push(`account ${a.id}: projection ${a.balance} ≠ journal ${a.journal}`);
    if (a.kind === 'points' && BigInt(a.balance) !== BigInt(a.lots) - BigInt(a.debt)) {
      problems.push(`account ${a.id}: projection ${a.balance} ≠ lots ${a.lots} − debt ${a.debt}`);
    }
    if (a.kind !== 'points' && BigInt(a.balance) < 0n)
      problems.push(`account ${a.id}: negative ${a.kind} balance ${a.balance}`);
  }

  const lots = await sql<{ id: number }>`
    select lots.id from lots
    where lots.remaining <> lots.amount + coalesce((select sum(m.amount) from lot_movements m where m.lot_id = lots.id), 0)
      or lots.remaining < 0 or lots.remaining > lots.amount`.execute(db);
  for (const l of lots.rows) problems.push(`lot ${l.id}: remaining does not match its movements`);

  const burnt = await sql<{ id: number; burnt: string; expired: string }>`
    select a.id, a.burnt::text, b.expired from accounts a,
      lateral (select coalesce(-sum(l.amount), 0)::text as expired from journal_lines l
        join journal_entries e on e.id = l.entry_id where l.account_id = a.id and e.kind = 'expire') b
    where a.kind <> 'program' and a.burnt::text <> b.expired`.execute(db);
  for (const a of burnt.rows) problems.push(`account ${a.id}: burnt ${a.burnt} ≠ expiry lines ${a.expired}`);

  const lineTimes = await sql<{ id: number }>`
    select l.id from journal_lines l join journal_entries e on e.id = l.entry_id
    where l.occurred_at <> e.occurred_at`.execute(db);
  for (const l of lineTimes.rows)
    problems.push(`journal line ${l.id}: business time differs from its entry's`);

  const movementAccounts = await sql<{ id: number }>`
    select m.id from lot_movements m join lots on lots.id = m.lot_id
    where m.account_id <> lots.account_id`.execute(db);
  for (const m of movementAccounts.rows)
    problems.push(`lot movement ${m.id}: account differs from its lot's`);
  return problems;
}
