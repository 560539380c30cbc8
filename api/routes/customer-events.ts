import { identifyVisitor, recordCustomerEvent, recordCustomerEventBatch } from '../../db/events';
import { programSettingsOf } from '../../db/program-settings';
import {
  customerEventBatchRecordedSchema,
  customerEventRecordedSchema,
  identifyVisitorSchema,
  maxEventsPerBatch,
  recordCustomerEventBatchSchema,
  recordCustomerEventSchema,
  visitorIdentifiedSchema,
} from '../../engine/contracts/customer-event';
import { mutation } from '../idempotent-route';
import type { ApiApp, ApiDependencies } from '../types';
import { registerEventTypeRoutes } from './event-types';

const scope = 'events:write';

const recording =
  'The customer is named by any identifier (card, barcode, magstripe, phone, email, external) or, for a ' +
  "visitor not yet known, by anonymousId; the event goes to that customer's one stream, whatever " +
  'identifier named them. An identifier that names nobody is a 404 customer_not_found naming customer, ' +
  'or, when the program setting events.unknownCustomers is "anonymous", recorded for the anonymous ' +
  'visitor "<kind>:<value>". The type must be registered (else 422 naming type) and the properties match ' +
  'its JSON Schema (else 422 naming the property, e.g. properties.total). An eventId recorded before, in ' +
  'any call, answers the stored event with status "replayed" and writes nothing; the same eventId with ' +
  'another type, time or properties is a 409 naming eventId. Each recorded event is stored with its ' +
  "business time and sent to the customer's workflow through the outbox.";

/** Customer events: one, a batch, and an anonymous visitor identifying; plus their registered types. */
export function registerCustomerEventRoutes(app: ApiApp, deps: ApiDependencies): void {
  mutation(app, deps, {
    url: '/v1/events',
    scope,
    summary: 'Record a customer event',
    description: recording,
    body: recordCustomerEventSchema,
    response: customerEventRecordedSchema,
    status: 202,
    run: async (trx, event, principal, request) =>
      recordCustomerEvent(trx, {
        programId: principal.programId,
        requestId: request.id,
        settings: await programSettingsOf(deps.db, principal.programId, deps.feed),
        event,
      }),
  });

  mutation(app, deps, {
    url: '/v1/events/batch',
    scope,
    summary: `Record up to ${maxEventsPerBatch} customer events (web shops, apps)`,
    description:
      'Each event is what POST /v1/events takes and is checked the same way, on its own (its occurredAt ' +
      "against the program's window too). The call records the good events and reports the bad ones, " +
      'as Segment-style batch APIs do: every event has a result in the order given, accepted, replayed ' +
      '(its eventId was recorded before) or refused with the error naming events.<i>.<field> (e.g. ' +
      'events.3.properties.total); a refused event writes nothing and does not stop the others. The ' +
      'call itself answers 400 only when it is no batch at all (no events array, more than 1 000, an ' +
      'event that is not an object). One Idempotency-Key covers the call; send eventIds so that a ' +
      'retry under a new key records nothing twice. ' +
      recording,
    body: recordCustomerEventBatchSchema,
    response: customerEventBatchRecordedSchema,
    bodyLimit: 8 * 1_048_576,
    run: async (trx, body, principal, request) =>
      recordCustomerEventBatch(trx, {
        programId: principal.programId,
        requestId: request.id,
        settings: await programSettingsOf(deps.db, principal.programId, deps.feed),
        recordedAt: new Date(),
        events: body.events,
      }),
  });

  mutation(app, deps, {
    url: '/v1/events/identify',
    scope,
    summary: 'An anonymous visitor identifies as a customer',
    description:
      "The visitor's anonymous events are attached to the customer, and from then on events sent with " +
      'that anonymousId are recorded for the customer. Again for the same customer: nothing more to do ' +
      '(alreadyIdentified); for another customer: 409 naming anonymousId. An unknown customer is a 404 ' +
      'naming customer.',
    body: identifyVisitorSchema,
    response: visitorIdentifiedSchema,
    run: async (trx, body, principal, request) =>
      identifyVisitor(trx, {
        ...body,
        programId: principal.programId,
        settings: await programSettingsOf(deps.db, principal.programId, deps.feed),
        requestId: request.id,
        at: new Date(),
      }),
  });

  registerEventTypeRoutes(app, deps);
}
