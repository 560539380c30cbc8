import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertCustomer } from '../../test/support/customers';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { seedTestProgram } from '../../test/support/program';
import { mergeCustomers } from './merge-customers';

/** A merge gives the survivor what the merged customer did and was on: events, visitors, static lists. */

let t: TestDatabase;
let programId: number;
const at = new Date('2026-05-10T09:00:00Z');

beforeAll(async () => {
  t = await createTestDatabase();
  programId = (await seedTestProgram(t.db)).programId;
});
afterAll(() => t.drop());

describe('merging customers', () => {
  it('moves events, identified visitors and static-list membership to the survivor', async () => {
    const a = await insertCustomer(t.db, programId, 'events-a');
    const b = await insertCustomer(t.db, programId, 'events-b');
    const eventId = '00000000-0000-4000-8000-00000000e001';
    await t.db
      .insertInto('customer_events')
      .values({
        event_id: eventId,
        program_id: programId,
        customer_key: String(a),
        customer_id: a,
        type: 'app.opened',
        attributes: '{}',
        occurred_at: at,
      } as never)
      .execute();
    await t.db
      .insertInto('customer_event_identities')
      .values({ program_id: programId, anonymous_id: 'visitor-merge', customer_id: a })
      .execute();
    const lists = await t.db
      .insertInto('segment_lists')
      .values([
        { program_id: programId, code: 'only-a', name: 'A' },
        { program_id: programId, code: 'both', name: 'Both' },
      ])
      .returning('id')
      .execute();
    await t.db
      .insertInto('segment_list_members')
      .values([
        { list_id: lists[0]!.id, customer_id: a },
        { list_id: lists[1]!.id, customer_id: a },
        { list_id: lists[1]!.id, customer_id: b },
      ])
      .execute();
    await t.db.transaction().execute((trx) =>
      mergeCustomers(trx, {
        programId,
        survivorId: b,
        mergedId: a,
        fieldChoices: {},
        actor: 'staff:1',
        occurredAt: at,
      }),
    );
    const events = await t.db
      .selectFrom('customer_events')
      .select('customer_id')
      .where('event_id', '=', eventId)
      .execute();
    expect(events).toEqual([{ customer_id: b }]);
    const visitor = await t.db
      .selectFrom('customer_event_identities')
      .select('customer_id')
      .where('anonymous_id', '=', 'visitor-merge')
      .execute();
    expect(visitor).toEqual([{ customer_id: b }]);
    const members = await t.db
      .selectFrom('segment_list_members')
      .select(['list_id', 'customer_id'])
      .where(
        'list_id',
        'in',
        lists.map((l) => l.id),
      )
      .orderBy('list_id')
      .execute();
    expect(members).toEqual([
      { list_id: lists[0]!.id, customer_id: b },
      { list_id: lists[1]!.id, customer_id: b },
    ]);
  });
});
