import { randomUUID } from 'node:crypto';
import { recordCustomerEvents } from '../../db/events';
import type { DB } from '../../db/database';
import { programSettingsOf } from '../../db/program-settings';
import { DomainError } from '../../engine/errors';
import { anonymousStreamKey } from '../../engine/events';

/** Registers event types that take any properties (the slice and workflow tests need one). */
export async function registerOpenEventTypes(
  db: DB,
  programId: number,
  types: readonly string[],
): Promise<void> {
  await db
    .insertInto('customer_event_types')
    .values(
      types.map((type) => ({
        program_id: programId,
        type,
        properties_schema: JSON.stringify({ type: 'object' }),
        updated_by: 'test',
      })),
    )
    .onConflict((oc) => oc.columns(['program_id', 'type']).doNothing())
    .execute();
}

/** The stream key (and workflow key) of an anonymous visitor's events. */
export const visitorKey = anonymousStreamKey;

/**
 * Writes `count` events of the anonymous visitor `visitor` the way the API does, one transaction each
 * (their stream is {@link visitorKey}(visitor)); returns their ids.
 */
export async function writeEvents(
  db: DB,
  programId: number,
  visitor: string,
  count: number,
): Promise<string[]> {
  await registerOpenEventTypes(db, programId, ['test.step']);
  const settings = await programSettingsOf(db, programId);
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const [recorded] = await db.transaction().execute((trx) =>
      recordCustomerEvents(trx, {
        programId,
        settings,
        requestId: randomUUID(),
        events: [
          {
            anonymousId: visitor,
            type: 'test.step',
            occurredAt: new Date(Date.UTC(2026, 10, 25, 10, 0, i)).toISOString(),
            properties: { i },
          },
        ],
      }),
    );
    if (recorded instanceof DomainError || !recorded) throw recorded;
    ids.push(recorded.eventId);
  }
  return ids;
}

export async function unprocessedEvents(db: DB): Promise<number> {
  const rows = await db
    .selectFrom('customer_events')
    .select('event_id')
    .where('processed_at', 'is', null)
    .execute();
  return rows.length;
}
