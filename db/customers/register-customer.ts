import { sql } from 'kysely';
import type { RegisterCustomer } from '../../engine/contracts/customer';
import { questionnaireOf } from '../../engine/contracts/program-settings';
import { validateAnswers } from '../../engine/customers/questionnaire';
import { normalizeReferralCode, referralCode } from '../../engine/customers/referral-code';
import { randomInt } from 'node:crypto';
import { DomainError } from '../../engine/errors';
import { bindCard } from '../cards/card-lifecycle';
import type { Trx } from '../ledger/store';
import { appendToOutbox, customerStream } from '../outbox';
import type { ProgramInfo } from '../programs';
import type { IdentifierKind } from '../schema';
import { createActivationToken, sendActivationLink, type ActivationDelivery } from './activation';
import { recordConsents } from '../messaging/consents';
import { derivedAnonymousId } from '../../engine/events';
import { attachVisitor } from '../events/identify-visitor';
import { normalizeIdentifier } from './identifiers';
import { recordAudit } from '../audit';

export interface RegisteredCustomer {
  customerId: number;
  referralCode: string;
  referredBy: number | null;
  status: 'active' | 'pending';
  /** For a till registration without a profile: the one-time link token the customer finishes it with. */
  activationToken: string | null;
  /** The message carrying the activation link (by SMS), or null when none was queued. */
  activationMessage: { messageId: number; channel: string; sentTo: string } | null;
}

/** Serialises registrations of one phone or e-mail in a program, so uniqueness holds under concurrency. */
async function lockValue(trx: Trx, programId: number, kind: string, value: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`${programId}:${kind}:${value}`}, 0))`.execute(
    trx,
  );
}

async function assertJoinAllowed(trx: Trx, program: ProgramInfo, phone: string, at: Date): Promise<void> {
  const { settings } = program;
  const since = new Date(at.getTime() - settings.joinLimitDays * 86_400_000);
  const active = await trx
    .selectFrom('identifiers')
    .innerJoin('customers', 'customers.id', 'identifiers.customer_id')
    .select(['customers.status', 'customers.left_at'])
    .where('identifiers.program_id', '=', program.id)
    .where('identifiers.kind', '=', 'phone')
    .where('identifiers.value', '=', phone)
    .execute();
  if (settings.uniqueness.phone && active.some((r) => r.status === 'active' || r.status === 'pending')) {
    throw new DomainError('phone_taken', 'a customer with this phone is already registered', 409, 'phone');
  }
  if (
    settings.joinLimitDays > 0 &&
    active.some((r) => r.status === 'left' && r.left_at && r.left_at > since)
  ) {
    throw new DomainError(
      'join_limit',
      `this phone left the program less than ${settings.joinLimitDays} days ago`,
      409,
      'phone',
    );
  }
}

/**
 * Registers a customer from any channel in one transaction: identifiers (phone and e-mail normalised,
 * uniqueness and the join limit checked under a lock), an optional card from a pool (activated), the
 * referral link, and a `customer.registered` outbox event for journeys (welcome bonus, referral rewards).
 */
export async function registerCustomer(
  trx: Trx,
  program: ProgramInfo,
  input: RegisterCustomer & { actor: string; requestId?: string | null; activation?: ActivationDelivery },
): Promise<RegisteredCustomer> {
  const at = new Date(input.registeredAt);
  const answers = input.questionnaire
    ? validateAnswers(questionnaireOf(program.settings), input.questionnaire).value
    : {};
  const identifiers: Array<{ kind: IdentifierKind; value: string }> = [];
  if (input.phone) {
    const phone = normalizeIdentifier({ kind: 'phone', value: input.phone }, program.settings, 'phone');
    await lockValue(trx, program.id, 'phone', phone);
    await assertJoinAllowed(trx, program, phone, at);
    identifiers.push({ kind: 'phone', value: phone });
  }
  if (input.email) {
    const email = normalizeIdentifier({ kind: 'email', value: input.email }, program.settings, 'email');
    await lockValue(trx, program.id, 'email', email);
    if (program.settings.uniqueness.email) {
      const taken = await trx
        .selectFrom('identifiers')
        .innerJoin('customers', 'customers.id', 'identifiers.customer_id')
        .select('customers.id')
        .where('identifiers.program_id', '=', program.id)
        .where('identifiers.kind', '=', 'email')
        .where('identifiers.value', '=', email)
        .where('customers.status', 'in', ['active', 'pending'])
        .executeTakeFirst();
      if (taken)
        throw new DomainError(
          'email_taken',
          'a customer with this e-mail is already registered',
          409,
          'email',
        );
    }
    identifiers.push({ kind: 'email', value: email });
  }
  if (input.externalId) {
    const taken = await trx
      .selectFrom('identifiers')
      .select('id')
      .where('program_id', '=', program.id)
      .where('kind', '=', 'external')
      .where('value', '=', input.externalId)
      .executeTakeFirst();
    if (taken)
      throw new DomainError('external_id_taken', 'another customer has this external id', 409, 'externalId');
    identifiers.push({ kind: 'external', value: input.externalId });
  }

  let referredBy: number | null = null;
  if (input.referralCode) {
    const referrer = await trx
      .selectFrom('customers')
      .select('id')
      .where('program_id', '=', program.id)
      .where('referral_code', '=', normalizeReferralCode(input.referralCode))
      .where('status', '=', 'active')
      .executeTakeFirst();
    if (!referrer)
      throw new DomainError(
        'unknown_referral_code',
        'no customer has this referral code',
        422,
        'referralCode',
      );
    referredBy = referrer.id;
  }

  const status = input.channel === 'till' && !input.profile.firstName ? 'pending' : 'active';
  let customerId = 0;
  let code = '';
  for (let attempt = 0; customerId === 0; attempt += 1) {
    code = referralCode(() => randomInt(0, 2 ** 32) / 2 ** 32);
    const row = await trx
      .insertInto('customers')
      .values({
        program_id: program.id,
        status,
        profile: JSON.stringify(input.profile),
        questionnaire: JSON.stringify(answers),
        referral_code: code,
        referred_by: referredBy,
        registration_channel: input.channel,
        registered_at: at,
      })
      .onConflict((oc) => oc.columns(['program_id', 'referral_code']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (row) customerId = row.id;
    else if (attempt > 5) throw new Error('could not find a free referral code');
  }

  if (identifiers.length > 0) {
    await trx
      .insertInto('identifiers')
      .values(
        identifiers.map((i) => ({
          program_id: program.id,
          kind: i.kind,
          value: i.value,
          customer_id: customerId,
        })),
      )
      .execute();
  }
  // Events a program kept for this phone, e-mail or external id before the customer existed (as the
  // anonymous visitor `<kind>:<value>`) become the customer's.
  if (program.settings.events.unknownCustomers === 'anonymous') {
    for (const identifier of identifiers) {
      await attachVisitor(trx, {
        programId: program.id,
        anonymousId: derivedAnonymousId(identifier),
        customerId,
        at,
        requestId: input.requestId ?? null,
      });
    }
  }
  if (input.card) {
    await bindCard(trx, {
      programId: program.id,
      customerId,
      number: input.card,
      actor: input.actor,
      occurredAt: at,
    });
  }
  await appendToOutbox(trx, {
    programId: program.id,
    stream: customerStream(program.id, String(customerId)),
    type: 'customer.registered',
    payload: { customerId, channel: input.channel, referredBy },
    occurredAt: at,
    requestId: input.requestId ?? null,
  });
  await recordAudit(trx, {
    programId: program.id,
    actor: input.actor,
    action: 'customer.register',
    subject: `customer:${customerId}`,
    changes: {
      channel: input.channel,
      identifiers: [...identifiers.map((i) => i.kind), ...(input.card ? ['card'] : [])],
    },
    occurredAt: at,
  });
  // The form's consent boxes: statements of the registration's time, source `registration`.
  if (input.consents?.length) {
    await recordConsents(trx, {
      programId: program.id,
      customerId,
      changes: input.consents,
      source: 'registration',
      actor: input.actor,
      occurredAt: at,
    });
  }
  const activation =
    status === 'pending' && input.activation
      ? await sendActivationLink(trx, program, customerId, at, input.activation, ['sms', 'email'])
      : null;
  const activationToken =
    status === 'pending'
      ? (activation?.token ?? (await createActivationToken(trx, program, customerId, at)))
      : null;
  return {
    customerId,
    referralCode: code,
    referredBy,
    status,
    activationToken,
    activationMessage: activation?.message ?? null,
  };
}
