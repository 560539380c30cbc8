import type { Transaction } from 'kysely';
import type { IdentifyVisitor, VisitorIdentified } from '../../engine/contracts/customer-event';
import type { ProgramSettings } from '../../engine/contracts/program-settings';
import { DomainError } from '../../engine/errors';
import { resolveCustomer } from '../customers/identifiers';
import { appendToOutbox, customerStream } from '../outbox';
import type { Database } from '../schema';
import { identifiedVisitors } from './event-subjects';

export const visitorIdentifiedType = 'customer.visitor.identified';

/**
 * An anonymous visitor identifies as a customer: their anonymous events get the customer, and the
 * anonymous id resolves to the customer from then on. Holding the visitor's identify lock exclusively,
 * it waits for transactions recording events of that visitor and keeps new ones out until it commits,
 * so no event of the visitor stays anonymous. Doing it again for the same customer attaches what is
 * left (nothing, normally); for another customer it is a 409 naming anonymousId. A newly attached
 * visitor writes an outbox row on the customer's stream (segments and journeys read the events anew).
 */
export async function identifyVisitor(
  trx: Transaction<Database>,
  input: IdentifyVisitor & {
    programId: number;
    settings: ProgramSettings;
    requestId: string | null;
    at: Date;
  },
): Promise<VisitorIdentified> {
  const { customerId } = await resolveCustomer(trx, input.programId, input.customer, input.settings);
  const attached = await attachVisitor(trx, { ...input, customerId });
  if (attached.otherCustomer) {
    throw new DomainError(
      'visitor_identified_otherwise',
      'this anonymous visitor has identified as another customer',
      409,
      'anonymousId',
    );
  }
  return {
    anonymousId: input.anonymousId,
    customerId,
    attachedEvents: attached.attachedEvents,
    alreadyIdentified: attached.alreadyIdentified,
  };
}

/**
 * Attaches an anonymous visitor to a customer under the visitor's exclusive identify lock (see
 * {@link identifyVisitor}). Changes nothing when the visitor identified as another customer already.
 */
export async function attachVisitor(
  trx: Transaction<Database>,
  input: { programId: number; anonymousId: string; customerId: number; at: Date; requestId: string | null },
): Promise<{ attachedEvents: number; alreadyIdentified: boolean; otherCustomer: boolean }> {
  const { customerId } = input;
  const known = (await identifiedVisitors(trx, input.programId, [input.anonymousId], 'exclusive')).get(
    input.anonymousId,
  );
  if (known !== undefined && known !== customerId) {
    return { attachedEvents: 0, alreadyIdentified: true, otherCustomer: true };
  }
  if (known === undefined) {
    await trx
      .insertInto('customer_event_identities')
      .values({ program_id: input.programId, anonymous_id: input.anonymousId, customer_id: customerId })
      .execute();
  }
  const attached = await trx
    .updateTable('customer_events')
    .set({ customer_id: customerId })
    .where('program_id', '=', input.programId)
    .where('anonymous_id', '=', input.anonymousId)
    .where('customer_id', 'is', null)
    .executeTakeFirst();
  const attachedEvents = Number(attached.numUpdatedRows);
  if (known === undefined || attachedEvents > 0) {
    await appendToOutbox(trx, {
      programId: input.programId,
      stream: customerStream(input.programId, String(customerId)),
      type: visitorIdentifiedType,
      payload: { customerId, anonymousId: input.anonymousId, attachedEvents },
      occurredAt: input.at,
      requestId: input.requestId,
    });
  }
  return { attachedEvents, alreadyIdentified: known !== undefined, otherCustomer: false };
}
