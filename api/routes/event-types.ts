import { createEventType, listEventTypes, setEventTypeStatus, updateEventType } from '../../db/events';
import {
  createEventTypeSchema,
  eventTypeListQuerySchema,
  eventTypeListSchema,
  eventTypeRefSchema,
  eventTypeSchema,
  updateEventTypeSchema,
} from '../../engine/contracts/event-types';
import { actingAs } from '../auth';
import { mutation } from '../idempotent-route';
import { read } from '../read-route';
import type { ApiApp, ApiDependencies } from '../types';

/** The marketer's back-office scope, as for promotions, whose journeys and segments read events. */
const scope = 'promotions:manage';

/** Event types a program registers, each with the JSON Schema its events' properties must match. */
export function registerEventTypeRoutes(app: ApiApp, deps: ApiDependencies): void {
  mutation(app, deps, {
    url: '/v1/event-types',
    scope,
    summary: 'Register an event type with the JSON Schema of its properties',
    description:
      'cart.updated, app.opened, order.placed, social.shared or any custom type. The schema is checked as ' +
      'JSON Schema (draft 2020-12, the keywords listed at propertiesSchema); a mistake is a 422 naming its ' +
      'place, e.g. propertiesSchema.properties.total.minimum. A type registered before (archived too) is a 409.',
    body: createEventTypeSchema,
    response: eventTypeSchema,
    status: 201,
    run: (trx, body, principal) => createEventType(trx, { ...actingAs(principal), ...body }),
  });

  mutation(app, deps, {
    url: '/v1/event-types/update',
    scope,
    summary: "Change an event type's schema and description (its next version)",
    description:
      'Events recorded before keep the version that checked them (stored with the event); new events are checked by the new schema.',
    body: updateEventTypeSchema,
    response: eventTypeSchema,
    run: (trx, body, principal) => updateEventType(trx, { ...actingAs(principal), ...body }),
  });

  mutation(app, deps, {
    url: '/v1/event-types/archive',
    scope,
    summary: 'Archive an event type: its events are refused (422 naming type) until it is restored',
    body: eventTypeRefSchema,
    response: eventTypeSchema,
    run: (trx, body, principal) =>
      setEventTypeStatus(trx, { ...actingAs(principal), type: body.type, status: 'archived' }),
  });

  mutation(app, deps, {
    url: '/v1/event-types/restore',
    scope,
    summary: 'Restore an archived event type',
    body: eventTypeRefSchema,
    response: eventTypeSchema,
    run: (trx, body, principal) =>
      setEventTypeStatus(trx, { ...actingAs(principal), type: body.type, status: 'active' }),
  });

  read(app, deps, {
    url: '/v1/event-types',
    scope,
    summary: "The program's event types (active by default; status=archived or all)",
    querystring: eventTypeListQuerySchema,
    response: eventTypeListSchema,
    run: async ({ query }, principal) => ({
      eventTypes: await listEventTypes(deps.db, principal.programId, query.status),
    }),
  });
}
