import { programCustomer } from '../../db/customers/program-customer';
import { z } from 'zod';
import { leaveProgram } from '../../db/customers/leave-program';
import { updateProgramSettings } from '../../db/program-settings';
import { businessTimeSchema } from '../../engine/contracts/customer-event';
import { identifierSchema } from '../../engine/contracts/identifier';
import { programSettingsSchema } from '../../engine/contracts/program-settings';
import { actorOf } from '../auth';
import { mutation } from '../idempotent-route';
import type { ApiApp, ApiDependencies } from '../types';

const settingsPatchSchema = z
  .object({ settings: z.record(z.string(), z.unknown()), occurredAt: businessTimeSchema })
  .strict();

const leaveSchema = z
  .object({
    customer: identifierSchema,
    reason: z.string().trim().min(3).max(500),
    occurredAt: businessTimeSchema,
  })
  .strict();

/** Program policies, and a customer leaving the program. */
export function registerProgramRoutes(app: ApiApp, deps: ApiDependencies): void {
  mutation(app, deps, {
    url: '/v1/program/settings',
    changesCachedReads: true,
    scope: 'program:manage',
    summary: "Change the program's policies",
    description:
      `Top-level keys replace the current ones: ${Object.keys(programSettingsSchema.shape).join(', ')}. ` +
      'The result is validated whole; a bad value is a 422 naming settings.<key>. businessTimes ' +
      '({ pastDays, futureMinutes }) is the window around the recording time that every business time a ' +
      'call carries must lie in.',
    body: settingsPatchSchema,
    response: z.object({ settings: z.record(z.string(), z.unknown()) }),
    run: async (trx, body, principal) => ({
      settings: await updateProgramSettings(trx, {
        programId: principal.programId,
        patch: body.settings,
        actor: actorOf(principal),
        occurredAt: new Date(body.occurredAt),
      }),
    }),
  });

  mutation(app, deps, {
    url: '/v1/customers/leave',
    scope: 'customers:write',
    summary: 'A customer leaves the program',
    description:
      'Points are forfeited, cards closed; the phone counts towards the join limit. Refused while cash remains.',
    body: leaveSchema,
    response: z.object({ forfeited: z.number().int() }),
    async run(trx, body, principal) {
      const { program, customerId } = await programCustomer(trx, principal.programId, body.customer);
      return leaveProgram(trx, {
        programId: program.id,
        customerId,
        occurredAt: new Date(body.occurredAt),
        actor: actorOf(principal),
        reason: body.reason,
      });
    },
  });
}
