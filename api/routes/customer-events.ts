import { z } from 'zod';
import { recordCustomerEvent } from '../../db/commands/record-customer-event';
import { runIdempotent } from '../../db/idempotency';
import { apiErrorSchema } from '../../engine/contracts/api-error';
import {
  customerEventRecordedSchema,
  recordCustomerEventSchema,
} from '../../engine/contracts/customer-event';
import { idempotencyKeyOf, principalOf, requireScope } from '../auth';
import type { ApiApp, ApiDependencies } from '../types';

export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .describe('same key and body → same answer; same key, other body → 409'),
});

export function registerCustomerEventRoutes(app: ApiApp, deps: ApiDependencies): void {
  app.post(
    '/v1/events',
    {
      preHandler: requireScope(app, deps.db, 'events:write'),
      schema: {
        summary: 'Record a custom customer event',
        description:
          "Stored with its business time and delivered to the customer's workflows through the outbox.",
        security: [{ apiKey: [] }],
        headers: idempotencyHeaders,
        body: recordCustomerEventSchema,
        response: { 202: customerEventRecordedSchema, '4xx': apiErrorSchema },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const result = await runIdempotent(
        deps.db,
        {
          scope: `api-key:${principal.apiKeyId}`,
          key: idempotencyKeyOf(request),
          operation: 'POST /v1/events',
          body: request.body,
        },
        async (trx) => ({
          status: 202,
          body: await recordCustomerEvent(trx, {
            ...request.body,
            programId: principal.programId,
            requestId: request.id,
          }),
        }),
      );
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      return reply.status(result.status as 202).send(result.body);
    },
  );
}
