import { programCustomer } from '../../db/customers/program-customer';
import type { ApiPrincipal } from '../../db/api-keys';
import { cardTypeLotPolicy } from '../../db/cards/card-type-policy';
import { customerAccount } from '../../db/customers/accounts';
import { moveCash } from '../../db/ledger/cash';
import { convertCashAndPoints } from '../../db/ledger/convert';
import {
  accruePoints,
  clawbackPoints,
  pointsBalance,
  spendPoints,
  type OperationContext,
} from '../../db/ledger/points';
import type { Trx } from '../../db/ledger/store';
import { transferPoints } from '../../db/ledger/transfer';
import { pointsCurrency, type ProgramInfo } from '../../db/programs';
import type { Identifier } from '../../engine/contracts/identifier';
import {
  accrueSchema,
  adjustSchema,
  convertResultSchema,
  convertSchema,
  operationResultSchema,
  spendSchema,
  topUpResultSchema,
  topUpSchema,
  transferResultSchema,
  transferSchema,
} from '../../engine/contracts/operations';
import { DomainError } from '../../engine/errors';
import { lotDates } from '../../engine/ledger/lot-policy';
import type { BalanceView } from '../../engine/ledger/lots';
import { actorOf, requireOwnStaffUser } from '../auth';
import { mutation } from '../idempotent-route';
import type { ApiApp, ApiDependencies } from '../types';
import { recordAudit } from '../../db/audit';

interface Target {
  program: ProgramInfo;
  customerId: number;
  /** The card the customer was identified by, recorded with the operation for the card's history. */
  cardId: number | null;
  currency: string;
  accountId: number;
}

async function pointsTarget(
  trx: Trx,
  principal: ApiPrincipal,
  customer: Identifier,
  currency: string | undefined,
  field: string,
): Promise<Target> {
  const { program, customerId, cardId } = await programCustomer(trx, principal.programId, customer, field);
  const code = await pointsCurrency(trx, program.id, currency);
  return {
    program,
    customerId,
    cardId,
    currency: code,
    accountId: await customerAccount(trx, customerId, 'points', code),
  };
}

function context(
  principal: ApiPrincipal,
  program: ProgramInfo,
  occurredAt: string,
  extra: { reason?: string | undefined; actor?: string; cardId?: number | null } = {},
): OperationContext {
  const details: Record<string, unknown> = {};
  if (principal.storeId) details.storeId = principal.storeId;
  if (extra.cardId) details.cardId = extra.cardId;
  return {
    programId: program.id,
    occurredAt: new Date(occurredAt),
    actor: extra.actor ?? actorOf(principal),
    reason: extra.reason ?? null,
    details,
  };
}

/**
 * The author of a manual adjustment is the key's principal: a staff user's key adjusts as that user, any
 * other key as itself. A `staffId` in the body is never taken on trust: it must be the key's own user.
 */
export function adjustmentAuthor(
  principal: ApiPrincipal,
  staffId: number | undefined,
): { actor: string; staffId: number | null } {
  if (staffId !== undefined && principal.staffUserId === null)
    throw new DomainError(
      'staff_mismatch',
      'this key belongs to no staff user: its adjustments are authored by the key',
      403,
      'staffId',
    );
  if (staffId !== undefined) requireOwnStaffUser(principal, staffId, 'staffId');
  return { actor: actorOf(principal), staffId: principal.staffUserId };
}

const withCurrency = (currency: string, balance: BalanceView) => ({ currency, ...balance });

/** The answer of a points operation on one customer. */
const operationResult = (t: Target, amount: number, result: { entryId: number; balance: BalanceView }) => ({
  entryId: result.entryId,
  customerId: t.customerId,
  amount,
  balance: withCurrency(t.currency, result.balance),
});

/** Points and stored-value operations by any customer identifier; every one idempotent. */
export function registerOperationRoutes(app: ApiApp, deps: ApiDependencies): void {
  mutation(app, deps, {
    url: '/v1/operations/accrue',
    scope: 'operations:write',
    summary: 'Accrue points',
    description: 'Debt is repaid first; the rest becomes a lot with the program (or card type) lifetime.',
    body: accrueSchema,
    response: operationResultSchema,
    async run(trx, body, principal) {
      const t = await pointsTarget(trx, principal, body.customer, body.currency, 'customer');
      const ctx = context(principal, t.program, body.occurredAt, { reason: body.reason, cardId: t.cardId });
      const cardType = await cardTypeLotPolicy(trx, t.customerId, t.cardId);
      const result = await accruePoints(trx, {
        ...ctx,
        accountId: t.accountId,
        amount: body.amount,
        lot: lotDates(ctx.occurredAt, { cardType, program: t.program.settings.pointsLifetime }),
      });
      return operationResult(t, body.amount, result);
    },
  });

  mutation(app, deps, {
    url: '/v1/operations/spend',
    scope: 'operations:write',
    summary: 'Spend points',
    description: 'Never more than available at `occurredAt`; soonest-expiring lots first.',
    body: spendSchema,
    response: operationResultSchema,
    async run(trx, body, principal) {
      const t = await pointsTarget(trx, principal, body.customer, body.currency, 'customer');
      const result = await spendPoints(trx, {
        ...context(principal, t.program, body.occurredAt, { reason: body.reason, cardId: t.cardId }),
        accountId: t.accountId,
        amount: body.amount,
      });
      return operationResult(t, body.amount, result);
    },
  });

  mutation(app, deps, {
    url: '/v1/operations/adjust',
    scope: 'operations:adjust',
    summary: 'Adjust points manually',
    description:
      "A positive amount credits, a negative one takes points back (never below zero). A reason is required; the author is the key's staff user, else the key.",
    body: adjustSchema,
    response: operationResultSchema,
    async run(trx, body, principal) {
      const author = adjustmentAuthor(principal, body.staffId);
      const t = await pointsTarget(trx, principal, body.customer, body.currency, 'customer');
      const ctx = {
        ...context(principal, t.program, body.occurredAt, {
          reason: body.reason,
          actor: author.actor,
          cardId: t.cardId,
        }),
        role: 'adjustment',
        kind: 'adjust',
      };
      const result =
        body.amount > 0
          ? await accruePoints(trx, {
              ...ctx,
              accountId: t.accountId,
              amount: body.amount,
              lot: lotDates(ctx.occurredAt, { program: t.program.settings.pointsLifetime }),
            })
          : await clawbackPoints(trx, {
              ...ctx,
              accountId: t.accountId,
              amount: -body.amount,
              policy: 'fail',
            });
      await recordAudit(trx, {
        programId: t.program.id,
        actor: author.actor,
        action: 'points.adjust',
        subject: `customer:${t.customerId}`,
        changes: {
          amount: body.amount,
          currency: t.currency,
          reason: body.reason,
          entryId: result.entryId,
        },
        occurredAt: ctx.occurredAt,
      });
      return operationResult(t, body.amount, result);
    },
  });

  mutation(app, deps, {
    url: '/v1/operations/transfer',
    scope: 'operations:write',
    summary: 'Transfer points between customers',
    description: 'The receiver gets lots with the same dates as those drawn from the sender.',
    body: transferSchema,
    response: transferResultSchema,
    async run(trx, body, principal) {
      const from = await pointsTarget(trx, principal, body.from, body.currency, 'from');
      const to = await pointsTarget(trx, principal, body.to, body.currency, 'to');
      const result = await transferPoints(trx, {
        ...context(principal, from.program, body.occurredAt, { reason: body.reason, cardId: from.cardId }),
        fromAccountId: from.accountId,
        toAccountId: to.accountId,
        amount: body.amount,
      });
      return {
        entryId: result.entryId,
        from: withCurrency(from.currency, result.from),
        to: withCurrency(to.currency, result.to),
      };
    },
  });

  mutation(app, deps, {
    url: '/v1/operations/convert',
    scope: 'operations:write',
    summary: 'Convert cash ↔ points at the program rate',
    description: 'Only amounts that convert exactly are accepted; the error names the nearest ones.',
    body: convertSchema,
    response: convertResultSchema,
    async run(trx, body, principal) {
      const t = await pointsTarget(trx, principal, body.customer, body.currency, 'customer');
      const ctx = context(principal, t.program, body.occurredAt, { cardId: t.cardId });
      const result = await convertCashAndPoints(trx, {
        ...ctx,
        direction: body.direction,
        amount: body.amount,
        rate: t.program.settings.conversionRate,
        cashAccountId: await customerAccount(trx, t.customerId, 'cash', t.program.currency),
        pointsAccountId: t.accountId,
        lot: lotDates(ctx.occurredAt, { program: t.program.settings.pointsLifetime }),
      });
      return {
        cash: result.cash,
        points: result.points,
        cashBalance: result.cashBalance,
        balance: withCurrency(t.currency, await pointsBalance(trx, t.accountId, ctx.occurredAt)),
      };
    },
  });

  mutation(app, deps, {
    url: '/v1/operations/top-up',
    scope: 'operations:write',
    summary: "Top up the customer's cash account (stored value)",
    body: topUpSchema,
    response: topUpResultSchema,
    async run(trx, body, principal) {
      const { program, customerId } = await programCustomer(trx, principal.programId, body.customer);
      const result = await moveCash(trx, {
        ...context(principal, program, body.occurredAt),
        accountId: await customerAccount(trx, customerId, 'cash', program.currency),
        amount: body.amount,
        direction: 'credit',
        role: 'cash_clearing',
        kind: 'top-up',
      });
      return { entryId: result.entryId, cashBalance: result.balance };
    },
  });
}
