import { programCustomer } from '../../db/customers/program-customer';
import { confirmVerification, startVerification } from '../../db/customers/notifier-verification';
import {
  confirmVerificationSchema,
  startVerificationSchema,
  verificationResultSchema,
  verificationStartedSchema,
} from '../../engine/contracts/notifier';
import { mutation } from '../idempotent-route';
import type { ApiApp, ApiDependencies } from '../types';

/** Verifying a customer's phone or e-mail with a one-time code. */
export function registerNotifierRoutes(app: ApiApp, deps: ApiDependencies): void {
  mutation(app, deps, {
    url: '/v1/notifiers/verification',
    scope: 'customers:write',
    summary: "Send a one-time code to the customer's phone or e-mail",
    description: 'At most 5 codes an hour per channel; codes live 5 minutes; only a salted hash is stored.',
    body: startVerificationSchema,
    response: verificationStartedSchema,
    status: 202,
    async run(trx, body, principal) {
      const { program, customerId } = await programCustomer(trx, principal.programId, body.customer);
      return startVerification(trx, {
        programId: program.id,
        customerId,
        channel: body.channel,
        purpose: 'verify-notifier',
        now: new Date(),
        secret: deps.secret,
        messaging: deps.messaging,
      });
    },
  });

  mutation(app, deps, {
    url: '/v1/notifiers/verification/confirm',
    scope: 'customers:write',
    summary: 'Check a one-time code; the contact becomes verified on success',
    description:
      'Always 200 with the outcome (ok, wrong, expired, locked, consumed, no_code): a wrong attempt is recorded and counts towards the lockout.',
    body: confirmVerificationSchema,
    response: verificationResultSchema,
    async run(trx, body, principal) {
      const { customerId } = await programCustomer(trx, principal.programId, body.customer);
      return confirmVerification(trx, {
        customerId,
        channel: body.channel,
        purpose: 'verify-notifier',
        code: body.code,
        now: new Date(),
        secret: deps.secret,
      });
    },
  });
}
