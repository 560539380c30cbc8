import type { Kysely, Selectable, Transaction } from 'kysely';
import type { z } from 'zod';
import type { CreateEventType, EventType } from '../../engine/contracts/event-types';
import { DomainError } from '../../engine/errors';
import { checkPropertiesSchema, propertiesChecker, type PropertiesSchema } from '../../engine/events';
import { recordAudit } from '../audit';
import type { CustomerEventTypeStatus, CustomerEventTypeTable, Database } from '../schema';

type Row = Selectable<CustomerEventTypeTable>;

const answer = (row: Row): EventType => ({
  type: row.type,
  description: row.description,
  propertiesSchema: row.properties_schema,
  version: row.version,
  status: row.status,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
  updatedBy: row.updated_by,
});

const notFound = (type: string) =>
  new DomainError('event_type_not_found', `no event type "${type}" in this program`, 404, 'type');

async function lockedType(trx: Transaction<Database>, programId: number, type: string): Promise<Row> {
  const row = await trx
    .selectFrom('customer_event_types')
    .selectAll()
    .where('program_id', '=', programId)
    .where('type', '=', type)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound(type);
  return row;
}

interface Acting {
  programId: number;
  actor: string;
}

/** Registers an event type; its schema is checked first (a 422 names its place). */
export async function createEventType(
  trx: Transaction<Database>,
  input: Acting & CreateEventType,
): Promise<EventType> {
  const schema = checkPropertiesSchema(input.propertiesSchema);
  const row = await trx
    .insertInto('customer_event_types')
    .values({
      program_id: input.programId,
      type: input.type,
      description: input.description ?? null,
      properties_schema: JSON.stringify(schema),
      updated_by: input.actor,
    })
    .onConflict((oc) => oc.columns(['program_id', 'type']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) {
    throw new DomainError(
      'event_type_exists',
      `the event type "${input.type}" is registered already (archived ones too: update or restore it)`,
      409,
      'type',
    );
  }
  await audit(trx, input, 'event_type.created', row);
  return answer(row);
}

/** A new version of an event type's schema and description; events recorded before keep theirs. */
export async function updateEventType(
  trx: Transaction<Database>,
  input: Acting & CreateEventType,
): Promise<EventType> {
  const schema = checkPropertiesSchema(input.propertiesSchema);
  const current = await lockedType(trx, input.programId, input.type);
  const row = await trx
    .updateTable('customer_event_types')
    .set({
      description: input.description ?? null,
      properties_schema: JSON.stringify(schema),
      version: current.version + 1,
      updated_at: new Date(),
      updated_by: input.actor,
    })
    .where('id', '=', current.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await audit(trx, input, 'event_type.updated', row, current);
  return answer(row);
}

/**
 * Archives (events of the type are refused from then on) or restores an event type. Setting the status
 * it has already changes nothing.
 */
export async function setEventTypeStatus(
  trx: Transaction<Database>,
  input: Acting & { type: string; status: CustomerEventTypeStatus },
): Promise<EventType> {
  const current = await lockedType(trx, input.programId, input.type);
  if (current.status === input.status) return answer(current);
  const row = await trx
    .updateTable('customer_event_types')
    .set({ status: input.status, updated_at: new Date(), updated_by: input.actor })
    .where('id', '=', current.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await audit(trx, input, input.status === 'archived' ? 'event_type.archived' : 'event_type.restored', row);
  return answer(row);
}

export async function listEventTypes(
  db: Kysely<Database>,
  programId: number,
  status: CustomerEventTypeStatus | 'all',
): Promise<EventType[]> {
  let query = db
    .selectFrom('customer_event_types')
    .selectAll()
    .where('program_id', '=', programId)
    .orderBy('type');
  if (status !== 'all') query = query.where('status', '=', status);
  return (await query.execute()).map(answer);
}

async function audit(trx: Transaction<Database>, input: Acting, action: string, row: Row, before?: Row) {
  await recordAudit(trx, {
    programId: input.programId,
    actor: input.actor,
    action,
    subject: `event_type:${row.type}`,
    changes: before
      ? {
          version: [before.version, row.version],
          propertiesSchema: [before.properties_schema, row.properties_schema],
        }
      : { version: row.version, status: row.status },
    occurredAt: row.updated_at,
  });
}

/** What checks events of a type: its status, version and the zod checker of its properties. */
export interface RegisteredEventType {
  type: string;
  status: CustomerEventTypeStatus;
  version: number;
  checker: z.ZodType;
}

/** Compiled checkers by type row and version (a version never changes its schema). */
const checkers = new Map<string, z.ZodType>();
const maxCheckers = 2_000;

function checkerOf(row: Pick<Row, 'id' | 'version' | 'properties_schema'>): z.ZodType {
  const key = `${row.id}:${row.version}`;
  let checker = checkers.get(key);
  if (!checker) {
    checker = propertiesChecker(row.properties_schema as PropertiesSchema);
    if (checkers.size >= maxCheckers) checkers.delete(checkers.keys().next().value!);
    checkers.set(key, checker);
  }
  return checker;
}

/** The registered types among `types`, by type; a type missing from the map is not registered. */
export async function registeredEventTypes(
  db: Kysely<Database>,
  programId: number,
  types: readonly string[],
): Promise<Map<string, RegisteredEventType>> {
  if (types.length === 0) return new Map();
  const rows = await db
    .selectFrom('customer_event_types')
    .select(['id', 'type', 'status', 'version', 'properties_schema'])
    .where('program_id', '=', programId)
    .where('type', 'in', [...new Set(types)])
    .execute();
  return new Map(
    rows.map((row) => [
      row.type,
      { type: row.type, status: row.status, version: row.version, checker: checkerOf(row) },
    ]),
  );
}
