import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { duplicateKeys, type DuplicateKeyOptions } from '../../engine/customers/duplicate-keys';
import { DomainError } from '../../engine/errors';
import { programSettings } from '../../engine/contracts/program-settings';
import type { Database } from '../schema';

/*
 * How candidates are found. The keys come from `duplicateKeys()` alone, so the rules live in one pure
 * function: phones in any writing (E.164, "8 916 …", old imports) meet under their E.164 form, e-mails
 * under their mailbox key, names with birth date under the folded name. Stored values cannot be
 * trusted to be in today's normal form, so plain SQL equality would miss exactly the duplicates old
 * imports make; the keys are therefore computed in TypeScript:
 *
 * - the review queue (`findDuplicateCandidates`) reads the program's active and pending customers in
 *   pages of 5,000 by id (names, birth date and their phone and e-mail values, one round trip a page;
 *   the next page is read while the keys of the last are computed), keeps a key → customer ids map and
 *   answers the groups of two or more, ordered by an opaque hash of the key. Nothing is stored, so the
 *   queue is always current and a merged customer drops out at once. Measured at 100,000 customers
 *   (a phone, half of them in "8 916 …" form, and an e-mail each): 5–6 s on this 2-core machine under
 *   heavy load from other test runs, about half of it computing keys. Past a few hundred thousand
 *   customers the queue should be materialised (a key table refreshed on customer changes) instead;
 * - one customer's candidates (`duplicateCandidatesFor`) narrow the program in SQL first with tests no
 *   weaker than the keys (a phone's last seven digits, an e-mail's folded mailbox name, the birth date)
 *   and then compare keys, so a lookup touches a handful of rows.
 */

export interface DuplicateGroup {
  /** Opaque and stable (a hash of the key): safe to show and to page by, unlike the key itself. */
  id: string;
  /** `phone:+79161234567`, `email:ivan@mail.ru`, `name-dob:иванов|иван|1985-04-12`: personal data. */
  key: string;
  kind: 'phone' | 'email' | 'name-dob';
  /** Ascending. */
  customerIds: number[];
}

interface CandidateRow {
  id: number;
  first_name: string | null;
  last_name: string | null;
  birth_date: string | null;
  phones: string[];
  emails: string[];
}

const PAGE = 5_000;

function groupId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

function keyKind(key: string): DuplicateGroup['kind'] {
  return key.slice(0, key.indexOf(':')) as DuplicateGroup['kind'];
}

function keysOf(row: CandidateRow, options: DuplicateKeyOptions): string[] {
  return duplicateKeys(
    {
      phones: row.phones,
      emails: row.emails,
      firstName: row.first_name ?? undefined,
      lastName: row.last_name ?? undefined,
      birthDate: row.birth_date ?? undefined,
    },
    options,
  );
}

async function keyOptions(db: Kysely<Database>, programId: number): Promise<DuplicateKeyOptions> {
  const program = await db
    .selectFrom('programs')
    .select('settings')
    .where('id', '=', programId)
    .executeTakeFirst();
  if (!program) throw new DomainError('program_not_found', `no program ${programId}`, 404);
  return { defaultCountry: programSettings(program.settings).defaultCountry };
}

/** Customers with what their keys are made of: a page after `afterId`, or the given ids. */
async function candidateRows(
  db: Kysely<Database>,
  programId: number,
  filter: { afterId: number; limit: number } | { ids: number[]; openOnly: boolean },
): Promise<CandidateRow[]> {
  const where =
    'ids' in filter
      ? sql`c.id = any(${filter.ids}::bigint[]) ${filter.openOnly ? sql`and c.status in ('active', 'pending')` : sql``}`
      : sql`c.status in ('active', 'pending') and c.id > ${filter.afterId}`;
  const { rows } = await sql<CandidateRow>`
    select c.id, c.profile->>'firstName' as first_name, c.profile->>'lastName' as last_name,
      c.profile->>'birthDate' as birth_date,
      array(select i.value from identifiers i where i.customer_id = c.id and i.kind = 'phone') as phones,
      array(select i.value from identifiers i where i.customer_id = c.id and i.kind = 'email') as emails
    from customers c
    where c.program_id = ${programId} and ${where}
    order by c.id
    ${'ids' in filter ? sql`` : sql`limit ${filter.limit}`}`.execute(db);
  return rows;
}

function toGroups(byKey: Map<string, Set<number>>): DuplicateGroup[] {
  const groups: DuplicateGroup[] = [];
  for (const [key, ids] of byKey) {
    if (ids.size < 2) continue;
    groups.push({ id: groupId(key), key, kind: keyKind(key), customerIds: [...ids].sort((a, b) => a - b) });
  }
  return groups.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * The program's duplicate candidates for review: groups of two or more active or pending customers who
 * share a phone, an e-mail, or a name with birth date, however each was written. A customer appears in
 * one group per shared key. Pages follow the group id: pass the last id seen as `cursor`.
 */
export async function findDuplicateCandidates(
  db: Kysely<Database>,
  programId: number,
  page: { limit: number; cursor?: string },
): Promise<DuplicateGroup[]> {
  const options = await keyOptions(db, programId);
  const byKey = new Map<string, Set<number>>();
  let next: Promise<CandidateRow[]> | undefined = candidateRows(db, programId, { afterId: 0, limit: PAGE });
  while (next) {
    const rows: CandidateRow[] = await next;
    // The next page is read while this one's keys are computed.
    next =
      rows.length < PAGE
        ? undefined
        : candidateRows(db, programId, { afterId: rows[rows.length - 1]!.id, limit: PAGE });
    for (const row of rows) {
      for (const key of keysOf(row, options)) {
        const ids = byKey.get(key);
        if (ids) ids.add(row.id);
        else byKey.set(key, new Set([row.id]));
      }
    }
  }
  const groups = toGroups(byKey);
  const start = page.cursor === undefined ? 0 : groups.findIndex((g) => g.id > page.cursor!);
  return start < 0 ? [] : groups.slice(start, start + page.limit);
}

const PHONE_TAIL = 7;

/** An e-mail's mailbox name with what any mailbox key may drop ("+tag", dots) removed: a superset test. */
function mailboxStem(email: string): string {
  return email.slice(0, email.lastIndexOf('@')).split('+')[0]!.replaceAll('.', '');
}

/** Customers that may share a key with `keys`, found by tests that every real match passes. */
async function possibleMatches(
  db: Kysely<Database>,
  programId: number,
  keys: string[],
  birthDate: string | null,
): Promise<number[]> {
  const tails = keys
    .filter((k) => k.startsWith('phone:'))
    .map((k) => k.replace(/\D/g, '').slice(-PHONE_TAIL));
  const stems = keys.filter((k) => k.startsWith('email:')).map((k) => mailboxStem(k.slice('email:'.length)));
  const byName = keys.some((k) => k.startsWith('name-dob:'));
  const { rows } = await sql<{ id: number }>`
    select i.customer_id as id from identifiers i
    where i.program_id = ${programId} and i.kind = 'phone'
      and right(regexp_replace(i.value, '\\D', '', 'g'), ${PHONE_TAIL}) = any(${tails}::text[])
    union
    select i.customer_id from identifiers i
    where i.program_id = ${programId} and i.kind = 'email'
      and replace(split_part(split_part(lower(btrim(i.value, E' \\t\\r\\n')), '@', 1), '+', 1), '.', '')
        = any(${stems}::text[])
    union
    select c.id from customers c
    where ${byName} and c.program_id = ${programId} and c.profile->>'birthDate' = ${birthDate}`.execute(db);
  return rows.map((r) => r.id);
}

/**
 * The groups one customer belongs to: for each key the customer has, the active or pending customers
 * sharing it (the customer first, then the others by id). Empty when the customer has no duplicates.
 */
export async function duplicateCandidatesFor(
  db: Kysely<Database>,
  programId: number,
  customerId: number,
): Promise<DuplicateGroup[]> {
  const options = await keyOptions(db, programId);
  const [target] = await candidateRows(db, programId, { ids: [customerId], openOnly: false });
  if (!target) {
    throw new DomainError(
      'customer_not_found',
      `no customer ${customerId} in the program`,
      404,
      'customerId',
    );
  }
  const keys = keysOf(target, options);
  if (keys.length === 0) return [];
  const ids = (await possibleMatches(db, programId, keys, target.birth_date)).filter(
    (id) => id !== customerId,
  );
  const byKey = new Map(keys.map((key) => [key, new Set([customerId])]));
  for (const row of await candidateRows(db, programId, { ids, openOnly: true })) {
    for (const key of keysOf(row, options)) byKey.get(key)?.add(row.id);
  }
  return toGroups(byKey).map((g) => ({
    ...g,
    customerIds: [customerId, ...g.customerIds.filter((id) => id !== customerId)],
  }));
}
