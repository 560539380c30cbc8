import type { Identifier, IdentifierKind } from '../../engine/contracts/identifier';
import type { ProgramSettings } from '../../engine/contracts/program-settings';
import { normalizeEmail } from '../../engine/customers/email';
import { normalizePhone } from '../../engine/customers/phone';
import { DomainError } from '../../engine/errors';
import type { Kysely } from 'kysely';
import type { CustomerStatus, Database } from '../schema';

/**
 * The stored form of an identifier: phones in E.164 by the program's formats, e-mails normalised,
 * magnetic-stripe tracks reduced to the card number they carry (`;<number>=…?`), the rest trimmed.
 */
export function normalizeIdentifier(
  identifier: Identifier,
  settings: ProgramSettings,
  field = 'customer.value',
): string {
  const value = identifier.value.trim();
  switch (identifier.kind) {
    case 'phone':
      return normalizePhone(value, settings.phoneFormats, settings.defaultCountry, field);
    case 'email':
      return normalizeEmail(value, field);
    case 'magstripe': {
      const match = /^[;%]?B?(\d{6,19})[=^]/.exec(value);
      return match?.[1] ?? value;
    }
    default:
      return value;
  }
}

export interface ResolvedCustomer {
  customerId: number;
  cardId: number | null;
}

const cardKinds: IdentifierKind[] = ['card', 'barcode', 'magstripe'];

/** What an identifier is looked up by: its stored kind (a magnetic stripe is a card) and value. */
export interface IdentifierKey {
  programId: number;
  kind: Exclude<IdentifierKind, 'magstripe'>;
  value: string;
}

export function identifierKey(
  programId: number,
  identifier: Identifier,
  settings: ProgramSettings,
  field = 'customer',
): IdentifierKey {
  return {
    programId,
    kind: identifier.kind === 'magstripe' ? 'card' : identifier.kind,
    value: normalizeIdentifier(identifier, settings, `${field}.value`),
  };
}

/**
 * A program's identifiers of customers in `statuses`, each with its customer and the card it names:
 * the rows every resolution decides on ({@link singleMatch}), for one key or many.
 */
export function identifierCandidates(
  db: Kysely<Database>,
  programId: number,
  statuses: readonly CustomerStatus[] = ['active', 'pending'],
) {
  return db
    .selectFrom('identifiers')
    .innerJoin('customers', 'customers.id', 'identifiers.customer_id')
    .leftJoin('cards', 'cards.id', 'identifiers.card_id')
    .select([
      'identifiers.kind',
      'identifiers.value',
      'customers.id as customerId',
      'customers.status',
      'identifiers.card_id as cardId',
      'cards.status as cardStatus',
    ])
    .where('identifiers.program_id', '=', programId)
    .where('customers.status', 'in', statuses);
}

/**
 * The customers an identifier names (at most two: one more than a match needs), as a query the caller
 * may widen with what it reads of the customer in the same round trip (the till path does). Only
 * active and pending customers unless `statuses` says otherwise.
 */
export function identifierMatches(
  db: Kysely<Database>,
  key: IdentifierKey,
  statuses: readonly CustomerStatus[] = ['active', 'pending'],
) {
  return identifierCandidates(db, key.programId, statuses)
    .where('identifiers.kind', '=', key.kind)
    .where('identifiers.value', '=', key.value)
    .limit(2);
}

/**
 * The one customer among `rows` of {@link identifierMatches}. A blocked, closed or replaced card does not
 * resolve for operations (reads such as history may allow it); a phone or e-mail shared by several
 * customers (when the program allows that) is ambiguous and must be asked for by another identifier.
 */
export function singleMatch<R extends { cardStatus: string | null }>(
  rows: readonly R[],
  identifier: Identifier,
  field = 'customer',
  options: { allowInactiveCard?: boolean } = {},
): R {
  if (rows.length === 0)
    throw new DomainError('customer_not_found', `no customer with this ${identifier.kind}`, 404, field);
  if (rows.length > 1) {
    throw new DomainError(
      'ambiguous_identifier',
      `several customers share this ${identifier.kind}; use another identifier`,
      409,
      field,
    );
  }
  const row = rows[0]!;
  if (cardKinds.includes(identifier.kind) && row.cardStatus !== 'active' && !options.allowInactiveCard) {
    throw new DomainError('card_not_active', `the card is ${row.cardStatus ?? 'unknown'}`, 409, field);
  }
  return row;
}

/**
 * One resolver for every API: finds the customer behind any identifier (see {@link singleMatch}).
 * `includeLeft` lets reads of the past (history, audit) find a customer who left the program when no
 * current customer has the identifier.
 */
export async function resolveCustomer(
  db: Kysely<Database>,
  programId: number,
  identifier: Identifier,
  settings: ProgramSettings,
  field = 'customer',
  options: { allowInactiveCard?: boolean; includeLeft?: boolean } = {},
): Promise<ResolvedCustomer> {
  const key = identifierKey(programId, identifier, settings, field);
  let rows = await identifierMatches(db, key).execute();
  if (rows.length === 0 && options.includeLeft) rows = await identifierMatches(db, key, ['left']).execute();
  const row = singleMatch(rows, identifier, field, options);
  return { customerId: row.customerId, cardId: row.cardId };
}
