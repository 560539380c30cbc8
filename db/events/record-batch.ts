import type { Transaction } from 'kysely';
import {
  recordCustomerEventSchema,
  type BatchEventResult,
  type CustomerEventBatchRecorded,
  type CustomerEventRecorded,
  type RecordCustomerEvent,
} from '../../engine/contracts/customer-event';
import type { ProgramSettings } from '../../engine/contracts/program-settings';
import { DomainError } from '../../engine/errors';
import { outsideWindow } from '../../engine/time/business-time-window';
import type { Database } from '../schema';
import { recordCustomerEvents } from './record-events';

/**
 * Records one event (POST /v1/events); a refusal is thrown, so the call writes nothing. The API's input
 * layer has held its occurredAt to the program's window already.
 */
export async function recordCustomerEvent(
  trx: Transaction<Database>,
  input: {
    programId: number;
    requestId: string | null;
    settings: ProgramSettings;
    event: RecordCustomerEvent;
  },
): Promise<CustomerEventRecorded> {
  const [outcome] = await recordCustomerEvents(trx, { ...input, events: [input.event] });
  if (outcome instanceof DomainError) throw outcome;
  return outcome!;
}

const prefixed = (i: number, error: DomainError): BatchEventResult => ({
  index: i,
  status: 'refused',
  error: {
    code: error.code,
    message: error.message,
    status: error.status,
    field: error.field === undefined ? `events.${i}` : `events.${i}.${error.field}`,
  },
});

/** One event of a batch as the single call would take it, or why not (fields relative to the event). */
function parseEvent(
  raw: unknown,
  recordedAt: Date,
  settings: ProgramSettings,
): RecordCustomerEvent | DomainError {
  const parsed = recordCustomerEventSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path =
      issue.code === 'unrecognized_keys' && issue.keys.length > 0
        ? [...issue.path, issue.keys[0]!]
        : issue.path;
    return new DomainError('validation_failed', issue.message, 400, path.map(String).join('.') || undefined);
  }
  const why = outsideWindow(new Date(parsed.data.occurredAt), recordedAt, settings.businessTimes);
  if (why) return new DomainError('business_time_out_of_range', `occurredAt ${why}`, 422, 'occurredAt');
  return parsed.data;
}

/**
 * Records up to 1 000 events in one transaction: each is checked on its own, as POST /v1/events checks
 * it (its occurredAt against the program's window too); the good ones are recorded or replayed by
 * eventId, the bad ones refused with the error naming `events.<i>.<field>`, without stopping the others.
 */
export async function recordCustomerEventBatch(
  trx: Transaction<Database>,
  input: {
    programId: number;
    requestId: string | null;
    settings: ProgramSettings;
    recordedAt: Date;
    events: readonly unknown[];
  },
): Promise<CustomerEventBatchRecorded> {
  const outcomes = await recordCustomerEvents(trx, {
    ...input,
    events: input.events.map((raw) => parseEvent(raw, input.recordedAt, input.settings)),
  });
  const results = outcomes.map((outcome, i): BatchEventResult =>
    outcome instanceof DomainError ? prefixed(i, outcome) : { index: i, ...outcome },
  );
  const count = (status: BatchEventResult['status']) => results.filter((r) => r.status === status).length;
  return { accepted: count('accepted'), replayed: count('replayed'), refused: count('refused'), results };
}
