import type { Kysely } from 'kysely';
import type { ApiPrincipal } from '../../db/api-keys';
import { programCustomer } from '../../db/customers/program-customer';
import { resolveCustomer } from '../../db/customers/identifiers';
import { consentLedger, consentStates, recordConsents } from '../../db/messaging/consents';
import { loadProgram } from '../../db/programs';
import type { Database } from '../../db/schema';
import type { Identifier } from '../../engine/contracts/identifier';
import { marketingConsents, type ConsentState, type LegalBasis } from '../../engine/messaging/consent';
import {
  consentCustomerSchema,
  consentLedgerPageSchema,
  consentLedgerQuerySchema,
  consentsAnswerSchema,
  recordConsentsSchema,
  type ConsentsAnswer,
} from '../../engine/messaging/consent-contracts';
import { actingAs } from '../auth';
import { mutation } from '../idempotent-route';
import { readByBody } from '../read-route';
import type { ApiApp, ApiDependencies } from '../types';

function consentsAnswer(customerId: number, legalBasis: LegalBasis, states: ConsentState[]): ConsentsAnswer {
  return {
    customerId,
    legalBasis,
    consents: states.map((s) => ({ ...s, occurredAt: s.occurredAt.toISOString() })),
    marketing: marketingConsents(states, legalBasis),
  };
}

/** Reads find a customer who left too: what they agreed to stays part of their record. */
async function customerForReading(db: Kysely<Database>, principal: ApiPrincipal, customer: Identifier) {
  const program = await loadProgram(db, principal.programId);
  const { customerId } = await resolveCustomer(db, program.id, customer, program.settings, 'customer', {
    includeLeft: true,
  });
  return { program, customerId };
}

/** The consent ledger: what each customer agreed to receive as marketing, by channel and topic. */
export function registerConsentRoutes(app: ApiApp, deps: ApiDependencies): void {
  mutation(app, deps, {
    url: '/v1/customers/consents',
    scope: 'consents:write',
    summary: "Record a customer's consent to marketing, or its withdrawal, per channel and topic",
    description:
      'Each change is kept in the ledger with its source, actor and business time (`occurredAt`). A change ' +
      'older than the current statement for its channel and topic (a late import) is kept in the ledger ' +
      'but does not replace the newer choice. Transactional messages (codes, activation links, receipts) ' +
      'need no consent. Answers the resulting state and what it means for marketing.',
    body: recordConsentsSchema,
    response: consentsAnswerSchema,
    async run(trx, body, principal) {
      const { program, customerId } = await programCustomer(trx, principal.programId, body.customer);
      const states = await recordConsents(trx, {
        ...actingAs(principal),
        customerId,
        changes: body.changes,
        source: body.source,
        occurredAt: new Date(body.occurredAt),
      });
      return consentsAnswer(customerId, program.settings.messaging.legalBasis, states);
    },
  });

  readByBody(app, deps, {
    url: '/v1/customers/consents/read',
    scope: 'customers:read',
    summary: "A customer's current consents and what they mean for marketing",
    description:
      "`marketing` decides every channel (topic `all`) and each topic stated under the program's legal " +
      'basis: with `consent` nothing stated is `not allowed: no consent`; with `legitimate-interest` only a ' +
      'withdrawal stops marketing.',
    body: consentCustomerSchema,
    response: consentsAnswerSchema,
    async run(body, principal) {
      const { program, customerId } = await customerForReading(deps.db, principal, body.customer);
      const states = (await consentStates(deps.db, [customerId])).get(customerId) ?? [];
      return consentsAnswer(customerId, program.settings.messaging.legalBasis, states);
    },
  });

  readByBody(app, deps, {
    url: '/v1/customers/consents/ledger',
    scope: 'customers:read',
    summary: "A customer's consent statements, newest first",
    description: "Keyset-paginated: `cursor` is the previous page's `nextCursor`.",
    body: consentLedgerQuerySchema,
    response: consentLedgerPageSchema,
    async run(body, principal) {
      const { customerId } = await customerForReading(deps.db, principal, body.customer);
      return consentLedger(deps.db, customerId, body);
    },
  });
}
