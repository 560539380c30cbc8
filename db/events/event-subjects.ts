import { sql, type Kysely, type Transaction } from 'kysely';
import type { Identifier } from '../../engine/contracts/identifier';
import type { ProgramSettings } from '../../engine/contracts/program-settings';
import { DomainError } from '../../engine/errors';
import { derivedAnonymousId } from '../../engine/events';
import {
  identifierCandidates,
  identifierKey,
  singleMatch,
  type IdentifierKey,
} from '../customers/identifiers';
import type { Database } from '../schema';

/** Whom an event names: a customer by identifier, or an anonymous visitor. */
export interface EventSubject {
  customer?: Identifier;
  anonymousId?: string;
}

/** Who an event is recorded for: the customer (null while anonymous) and the visitor id it came with. */
export interface ResolvedSubject {
  customerId: number | null;
  anonymousId: string | null;
}

const keyText = (key: { kind: string; value: string }) => `${key.kind}\u0000${key.value}`;

/**
 * Resolves many events' subjects in two round trips, through the identifier resolver's rules
 * (db/customers/identifiers.ts: active or pending customers, one match, an active card):
 * - an identifier names its customer; one that names nobody is refused (404 `customer_not_found`,
 *   field `customer`) or, when the program keeps unknown customers as anonymous, becomes the anonymous
 *   visitor `<kind>:<value>`;
 * - an anonymous id resolves to the customer it identified as (POST /v1/events/identify), else stays
 *   anonymous. Its identify lock is held shared until commit, so an identify of the same visitor waits
 *   for this transaction and then attaches what it recorded.
 * Each subject gets its resolution or the refusal (fields relative to the event).
 */
export async function resolveEventSubjects(
  trx: Transaction<Database>,
  programId: number,
  settings: ProgramSettings,
  subjects: readonly EventSubject[],
): Promise<Array<ResolvedSubject | DomainError>> {
  const out: Array<ResolvedSubject | DomainError> = [];
  const keys: Array<IdentifierKey | undefined> = subjects.map((subject, i) => {
    if (!subject.customer) return undefined;
    try {
      return identifierKey(programId, subject.customer, settings, 'customer');
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      out[i] = error;
      return undefined;
    }
  });
  const matches = await identifierRows(trx, programId, keys);
  const anonymous = new Set<string>();
  subjects.forEach((subject, i) => {
    if (out[i]) return;
    const key = keys[i];
    if (!key) {
      out[i] = { customerId: null, anonymousId: subject.anonymousId! };
      anonymous.add(subject.anonymousId!);
      return;
    }
    try {
      const row = singleMatch(matches.get(keyText(key)) ?? [], subject.customer!, 'customer');
      out[i] = { customerId: row.customerId, anonymousId: null };
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (error.code === 'customer_not_found' && settings.events.unknownCustomers === 'anonymous') {
        const anonymousId = derivedAnonymousId(key);
        out[i] = { customerId: null, anonymousId };
        anonymous.add(anonymousId);
      } else out[i] = error;
    }
  });
  const identified = await identifiedVisitors(trx, programId, [...anonymous], 'shared');
  return out.map((resolved) =>
    resolved instanceof DomainError || resolved.anonymousId === null
      ? resolved
      : { ...resolved, customerId: identified.get(resolved.anonymousId) ?? null },
  );
}

interface MatchRow {
  kind: string;
  value: string;
  customerId: number;
  cardId: number | null;
  cardStatus: string | null;
}

/** Every active or pending customer each key names (the rows {@link singleMatch} decides on). */
async function identifierRows(
  db: Kysely<Database>,
  programId: number,
  keys: ReadonlyArray<IdentifierKey | undefined>,
): Promise<Map<string, MatchRow[]>> {
  const distinct = new Map<string, IdentifierKey>();
  for (const key of keys) if (key) distinct.set(keyText(key), key);
  const byKey = new Map<string, MatchRow[]>();
  if (distinct.size === 0) return byKey;
  const wanted = [...distinct.values()];
  const rows = await identifierCandidates(db, programId)
    .where(
      sql<boolean>`(identifiers.kind, identifiers.value) in (select k, v from unnest(${wanted.map((k) => k.kind)}::text[], ${wanted.map((k) => k.value)}::text[]) as t(k, v))`,
    )
    .execute();
  for (const row of rows) {
    const text = keyText(row);
    byKey.set(text, [...(byKey.get(text) ?? []), row]);
  }
  return byKey;
}

/**
 * Takes the identify locks of `anonymousIds` (shared by recorders, exclusive by identify; held until
 * commit) and then reads which of them identified, and as whom. The read is a statement of its own
 * after the locks, so it sees an identify that committed while this transaction waited.
 */
export async function identifiedVisitors(
  trx: Transaction<Database>,
  programId: number,
  anonymousIds: readonly string[],
  mode: 'shared' | 'exclusive',
): Promise<Map<string, number>> {
  if (anonymousIds.length === 0) return new Map();
  const sorted = [...anonymousIds].sort();
  const lock = mode === 'shared' ? sql`pg_advisory_xact_lock_shared` : sql`pg_advisory_xact_lock`;
  await sql`select ${lock}(hashtextextended(${`customer-events:${programId}:`} || k, 0))
    from unnest(${sorted}::text[]) with ordinality as t(k, n) order by n`.execute(trx);
  const rows = await trx
    .selectFrom('customer_event_identities')
    .select(['anonymous_id', 'customer_id'])
    .where('program_id', '=', programId)
    .where('anonymous_id', 'in', sorted)
    .execute();
  return new Map(rows.map((row) => [row.anonymous_id, row.customer_id]));
}
