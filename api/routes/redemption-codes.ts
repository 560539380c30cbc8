import { programCustomer } from '../../db/customers/program-customer';
import { confirmVerification, startVerification } from '../../db/customers/notifier-verification';
import { verificationStartedSchema } from '../../engine/contracts/notifier';
import {
  redemptionCodeAnswerSchema,
  redemptionCodeRequestSchema,
  redemptionCodeVerifySchema,
} from '../../engine/contracts/purchases';
import { issueRedemptionToken } from '../../engine/purchases/redemption-token';
import { mutation } from '../idempotent-route';
import type { ApiApp, ApiDependencies } from '../types';

const purpose = 'redeem-points';
/** How long a verified code lets the till spend points. */
const tokenSeconds = 600;

/** Spending points with the customer's consent: a one-time code, then a token for confirm. */
export function registerRedemptionCodeRoutes(app: ApiApp, deps: ApiDependencies): void {
  mutation(app, deps, {
    url: '/v1/purchases/redemption-code',
    scope: 'purchases:write',
    summary: 'Send the customer a one-time code to spend points',
    description:
      "When the program's redemptionCodeThreshold is set, spending that many points needs the code. At most 5 codes an hour; codes live 5 minutes.",
    body: redemptionCodeRequestSchema,
    response: verificationStartedSchema,
    status: 202,
    async run(trx, body, principal) {
      const { program, customerId } = await programCustomer(trx, principal.programId, body.customer);
      return startVerification(trx, {
        programId: program.id,
        customerId,
        channel: body.channel,
        purpose,
        now: new Date(),
        secret: deps.secret,
        messaging: deps.messaging,
        preferred: program.settings.messaging.fallback.filter((c) => c === 'viber' || c === 'telegram'),
      });
    },
  });

  mutation(app, deps, {
    url: '/v1/purchases/redemption-code/verify',
    scope: 'purchases:write',
    summary: 'Check the code and get a redemption token',
    description:
      'Always 200 with the outcome; a wrong attempt is recorded and counts towards the lockout. On success the token lets confirm spend up to `points` for 10 minutes.',
    body: redemptionCodeVerifySchema,
    response: redemptionCodeAnswerSchema,
    async run(trx, body, principal) {
      const now = new Date();
      const { customerId } = await programCustomer(trx, principal.programId, body.customer);
      const outcome = await confirmVerification(trx, {
        customerId,
        channel: body.channel,
        purpose,
        code: body.code,
        now,
        secret: deps.secret,
      });
      return {
        result: outcome.result,
        attemptsLeft: outcome.attemptsLeft,
        ...(outcome.verified
          ? {
              redemptionToken: issueRedemptionToken(deps.secret, {
                customerId,
                points: body.points,
                expiresAt: new Date(now.getTime() + tokenSeconds * 1000),
              }),
            }
          : {}),
      };
    },
  });
}
