import { randomUUID } from 'node:crypto';
import type { Selectable, Transaction } from 'kysely';
import { canonicalJson } from '../../engine/canonical-json';
import type { CustomerEventRecorded, RecordCustomerEvent } from '../../engine/contracts/customer-event';
import type { ProgramSettings } from '../../engine/contracts/program-settings';
import { DomainError } from '../../engine/errors';
import { eventStreamKey, propertiesMismatch } from '../../engine/events';
import { customerStream } from '../outbox';
import type { CustomerEventTable, Database } from '../schema';
import { resolveEventSubjects, type ResolvedSubject } from './event-subjects';
import { registeredEventTypes } from './event-types';

export const customerEventRecordedType = 'customer.event.recorded';

/** An event's outcome: recorded (`accepted`), found under its eventId (`replayed`), or refused. */
export type EventOutcome = CustomerEventRecorded | DomainError;

type StoredEvent = Pick<
  Selectable<CustomerEventTable>,
  | 'event_id'
  | 'program_id'
  | 'customer_id'
  | 'anonymous_id'
  | 'type'
  | 'attributes'
  | 'occurred_at'
  | 'recorded_at'
>;

const storedColumns = [
  'event_id',
  'program_id',
  'customer_id',
  'anonymous_id',
  'type',
  'attributes',
  'occurred_at',
  'recorded_at',
] as const;

const replayed = (row: StoredEvent): CustomerEventRecorded => ({
  eventId: row.event_id,
  status: 'replayed',
  customerId: row.customer_id,
  anonymousId: row.anonymous_id,
  type: row.type,
  occurredAt: row.occurred_at.toISOString(),
  recordedAt: row.recorded_at.toISOString(),
});

const sameEvent = (row: StoredEvent, programId: number, event: RecordCustomerEvent) =>
  row.program_id === programId &&
  row.type === event.type &&
  row.occurred_at.getTime() === Date.parse(event.occurredAt) &&
  canonicalJson(row.attributes) === canonicalJson(event.properties);

const idConflict = () =>
  new DomainError(
    'event_id_conflict',
    'an event with this eventId was recorded with another type, time or properties',
    409,
    'eventId',
  );

/** The stored event's answer when `event` is the same event again, else the eventId conflict. */
const againOf = (row: StoredEvent, programId: number, event: RecordCustomerEvent): EventOutcome =>
  sameEvent(row, programId, event) ? replayed(row) : idConflict();

/**
 * Records customer events in the caller's transaction: each one the type registered for the program
 * accepts, whose customer resolves (db/events/event-subjects.ts), and whose eventId is new, is written
 * with its business time and one outbox row on its customer's stream (`<customerId>`, or
 * `anon:<anonymousId>`), which the dispatcher sends to the customer's workflow. An eventId recorded
 * before (in any call) answers the stored event, `replayed`, and writes nothing. A refused event
 * writes nothing either and does not stop the others; its error names the field relative to the event
 * (`type`, `customer`, `properties.total`). An entry of `events` that is already an error stays one.
 * Six statements whatever the number of events.
 */
export async function recordCustomerEvents(
  trx: Transaction<Database>,
  input: {
    programId: number;
    requestId: string | null;
    settings: ProgramSettings;
    events: ReadonlyArray<RecordCustomerEvent | DomainError>;
  },
): Promise<EventOutcome[]> {
  const { programId, events } = input;
  const outcomes: Array<EventOutcome | undefined> = events.map((e) =>
    e instanceof DomainError ? e : undefined,
  );
  const open = () => events.flatMap((e, i) => (outcomes[i] === undefined ? [[e, i] as const] : []));
  const eventOf = (i: number) => events[i] as RecordCustomerEvent;

  // Event ids recorded before, and ones given twice in this call (the later one follows the first).
  const sameAs = new Map<number, number>();
  const given = [
    ...new Set(
      open().flatMap(([e]) =>
        (e as RecordCustomerEvent).eventId ? [(e as RecordCustomerEvent).eventId!.toLowerCase()] : [],
      ),
    ),
  ];
  const stored = given.length
    ? await trx.selectFrom('customer_events').select(storedColumns).where('event_id', 'in', given).execute()
    : [];
  const storedById = new Map(stored.map((row) => [row.event_id, row]));
  const claimedBy = new Map<string, number>();
  for (const [, i] of open()) {
    const id = eventOf(i).eventId?.toLowerCase();
    if (id === undefined) continue;
    const row = storedById.get(id);
    if (row) outcomes[i] = againOf(row, programId, eventOf(i));
    else if (claimedBy.has(id)) sameAs.set(i, claimedBy.get(id)!);
    else claimedBy.set(id, i);
  }
  const firsts = () => open().filter(([, i]) => !sameAs.has(i));

  // The registered type and its schema.
  const types = await registeredEventTypes(
    trx,
    programId,
    firsts().map(([, i]) => eventOf(i).type),
  );
  for (const [, i] of firsts()) {
    const event = eventOf(i);
    const type = types.get(event.type);
    if (!type)
      outcomes[i] = new DomainError(
        'event_type_not_registered',
        `the event type "${event.type}" is not registered for this program (POST /v1/event-types)`,
        422,
        'type',
      );
    else if (type.status === 'archived')
      outcomes[i] = new DomainError(
        'event_type_archived',
        `the event type "${event.type}" is archived`,
        422,
        'type',
      );
    else {
      const mismatch = propertiesMismatch(type.checker, event.properties);
      if (mismatch)
        outcomes[i] = new DomainError(
          'properties_mismatch',
          `${mismatch.field}: ${mismatch.message} (schema of ${event.type} v${type.version})`,
          422,
          mismatch.field,
        );
    }
  }

  // The customer or anonymous visitor.
  const pending = firsts();
  const subjects = await resolveEventSubjects(
    trx,
    programId,
    input.settings,
    pending.map(([, i]) => eventOf(i)),
  );
  const toWrite: Array<{ i: number; subject: ResolvedSubject; eventId: string }> = [];
  pending.forEach(([, i], n) => {
    const subject = subjects[n]!;
    if (subject instanceof DomainError) outcomes[i] = subject;
    else toWrite.push({ i, subject, eventId: eventOf(i).eventId?.toLowerCase() ?? randomUUID() });
  });

  if (toWrite.length > 0) {
    const rows = toWrite.map(({ i, subject, eventId }) => {
      const event = eventOf(i);
      return {
        event_id: eventId,
        program_id: programId,
        customer_key: eventStreamKey(subject.customerId, subject.anonymousId),
        customer_id: subject.customerId,
        anonymous_id: subject.anonymousId,
        type: event.type,
        attributes: JSON.stringify(event.properties),
        event_type_version: types.get(event.type)!.version,
        occurred_at: new Date(event.occurredAt),
      };
    });
    // A concurrent call that recorded the same eventId first wins; this one answers its event.
    const written = await trx
      .insertInto('customer_events')
      .values(rows)
      .onConflict((oc) => oc.column('event_id').doNothing())
      .returning(storedColumns)
      .execute();
    const writtenById = new Map(written.map((row) => [row.event_id, row]));
    const lost = toWrite.filter(({ eventId }) => !writtenById.has(eventId)).map(({ eventId }) => eventId);
    const winners = lost.length
      ? new Map(
          (
            await trx
              .selectFrom('customer_events')
              .select(storedColumns)
              .where('event_id', 'in', lost)
              .execute()
          ).map((row) => [row.event_id, row]),
        )
      : new Map<string, StoredEvent>();
    const outbox = [];
    for (const { i, eventId } of toWrite) {
      const row = writtenById.get(eventId);
      if (!row) {
        outcomes[i] = againOf(winners.get(eventId)!, programId, eventOf(i));
        continue;
      }
      outcomes[i] = { ...replayed(row), status: 'accepted' };
      outbox.push({
        event_id: eventId,
        program_id: programId,
        stream: customerStream(programId, eventStreamKey(row.customer_id, row.anonymous_id)),
        type: customerEventRecordedType,
        payload: JSON.stringify({
          customerKey: eventStreamKey(row.customer_id, row.anonymous_id),
          customerId: row.customer_id,
          anonymousId: row.anonymous_id,
          eventType: row.type,
        }),
        request_id: input.requestId,
        occurred_at: row.occurred_at,
      });
    }
    // One row per recorded event, in the events' order: a stream delivers in outbox id order.
    if (outbox.length > 0) await trx.insertInto('outbox').values(outbox).execute();
  }

  // An eventId given twice in the call: the later event is the first one again, or a conflict.
  for (const [i, first] of sameAs) {
    const outcome = outcomes[first]!;
    const a = eventOf(i);
    const b = eventOf(first);
    const same =
      a.type === b.type &&
      Date.parse(a.occurredAt) === Date.parse(b.occurredAt) &&
      canonicalJson(a.properties) === canonicalJson(b.properties);
    outcomes[i] = !same
      ? idConflict()
      : outcome instanceof DomainError
        ? outcome
        : { ...outcome, status: 'replayed' };
  }
  return outcomes.map((outcome) => outcome!);
}
