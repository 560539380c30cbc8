import 'server-only';
import { customerBalances } from '../../db/customers/balances';
import { customerAudit, customerHistory } from '../../db/customers/history';
import { resolveCustomer } from '../../db/customers/identifiers';
import { loadProgram, pointsCurrency } from '../../db/programs';
import type { IdentifierKind } from '../../engine/contracts/identifier';
import { maskEmail, maskPhone } from '../../engine/customers/mask';
import { db } from './db';

/**
 * What an agent sees of a customer: status, masked contacts, cards, balances, the latest operations
 * and changes. Found by any identifier, a blocked card included, and after leaving the program. A read:
 * it opens no account.
 */
export async function customerCard(programId: number, kind: IdentifierKind, value: string, at: Date) {
  const database = db();
  const program = await loadProgram(database, programId);
  const { customerId } = await resolveCustomer(
    database,
    program.id,
    { kind, value },
    program.settings,
    'customer',
    { allowInactiveCard: true, includeLeft: true },
  );
  const [customer, identifiers, cards] = await Promise.all([
    database.selectFrom('customers').selectAll().where('id', '=', customerId).executeTakeFirstOrThrow(),
    database
      .selectFrom('identifiers')
      .select(['kind', 'value', 'verified_at'])
      .where('customer_id', '=', customerId)
      .execute(),
    database
      .selectFrom('cards')
      .select(['number', 'status', 'status_reason', 'virtual'])
      .where('customer_id', '=', customerId)
      .orderBy('id')
      .execute(),
  ]);
  const currency = await pointsCurrency(database, program.id);
  const balances = await customerBalances(
    database,
    customerId,
    { points: currency, cash: program.currency },
    at,
  );
  const contacts = identifiers
    .filter((i) => i.kind === 'phone' || i.kind === 'email')
    .map((i) => ({
      kind: i.kind,
      shown: i.kind === 'phone' ? maskPhone(i.value) : maskEmail(i.value),
      verified: i.verified_at !== null,
    }));
  return {
    customerId,
    status: customer.status,
    profile: customer.profile,
    referralCode: customer.referral_code,
    registeredAt: customer.registered_at.toISOString(),
    contacts,
    cards,
    currency,
    points: balances.points,
    cash: balances.cash,
    history: (await customerHistory(database, customerId, { limit: 20 })).items,
    audit: (await customerAudit(database, program.id, customerId, { limit: 10 })).items,
  };
}
