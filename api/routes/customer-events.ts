import { recordCustomerEvent } from '../../db/commands/record-customer-event';
import {
  customerEventRecordedSchema,
  recordCustomerEventSchema,
} from '../../engine/contracts/customer-event';
import { mutation } from '../idempotent-route';
import type { ApiApp, ApiDependencies } from '../types';

export function registerCustomerEventRoutes(app: ApiApp, deps: ApiDependencies): void {
  mutation(app, deps, {
    url: '/v1/events',
    scope: 'events:write',
    summary: 'Record a custom customer event',
    description:
      "Stored with its business time and delivered to the customer's workflows through the outbox.",
    body: recordCustomerEventSchema,
    response: customerEventRecordedSchema,
    status: 202,
    run: (trx, body, principal, request) =>
      recordCustomerEvent(trx, { ...body, programId: principal.programId, requestId: request.id }),
  });
}
