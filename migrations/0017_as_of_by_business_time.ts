import { sql, type Kysely } from 'kysely';

/**
 * A balance as of a business time is the current projection less what is dated after it, so an online
 * operation reads next to nothing however long the account's history. Journal lines, lot movements and
 * lots carry their entry's business time (movements also their lot's account), indexed by account and
 * time; the projection gains the points its lots lost to the expiry job (`burnt`). Open lots are
 * indexed by activation, for the pending ones, and in spend order, so a spend reads only the lots it
 * draws from. Written here for existing rows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table journal_lines add column occurred_at timestamptz`.execute(db);
  await sql`update journal_lines l set occurred_at = e.occurred_at from journal_entries e where e.id = l.entry_id`.execute(
    db,
  );
  await sql`alter table journal_lines alter column occurred_at set not null`.execute(db);
  await sql`create index journal_lines_account_time on journal_lines (account_id, occurred_at) include (amount)`.execute(
    db,
  );

  await sql`alter table lot_movements add column account_id bigint references accounts, add column occurred_at timestamptz`.execute(
    db,
  );
  await sql`update lot_movements m set account_id = l.account_id, occurred_at = e.occurred_at
    from lots l, journal_entries e where l.id = m.lot_id and e.id = m.entry_id`.execute(db);
  await sql`alter table lot_movements alter column account_id set not null, alter column occurred_at set not null`.execute(
    db,
  );
  await sql`create index lot_movements_account_time on lot_movements (account_id, occurred_at)`.execute(db);

  await sql`alter table lots add column occurred_at timestamptz`.execute(db);
  await sql`update lots l set occurred_at = e.occurred_at from journal_entries e where e.id = l.entry_id`.execute(
    db,
  );
  await sql`alter table lots alter column occurred_at set not null`.execute(db);
  // Replaces lots_account (0016): same leading column.
  await sql`create index lots_account_time on lots (account_id, occurred_at)`.execute(db);
  await sql`drop index lots_account`.execute(db);
  await sql`create index lots_pending on lots (account_id, activates_at) where remaining > 0`.execute(db);
  // Open lots in spend order, never-expiring last: a spend walks it a lot at a time. Replaces lots_open.
  await sql`create index lots_queue on lots (account_id, coalesce(expires_at, 'infinity'), activates_at, id)
    where remaining > 0`.execute(db);
  await sql`drop index lots_open`.execute(db);

  await sql`alter table accounts add column burnt bigint not null default 0`.execute(db);
  await sql`update accounts a set burnt = b.points from (
      select m.account_id, -sum(m.amount) as points
      from lot_movements m join journal_entries e on e.id = m.entry_id
      where e.kind = 'expire' group by m.account_id
    ) b where b.account_id = a.id`.execute(db);
}
