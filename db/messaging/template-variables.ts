import type { Kysely } from 'kysely';
import type { Identifier } from '../../engine/contracts/identifier';
import { codePatternSchema, formatCode } from '../../engine/coupons/code-pattern';
import { maskPhone } from '../../engine/customers/mask';
import { DomainError } from '../../engine/errors';
import type { TemplateVariables } from '../../engine/messaging/template-catalogue';
import { formatMoney } from '../../engine/messaging/template-filters';
import { findCustomerAccount } from '../customers/accounts';
import { customerBalances } from '../customers/balances';
import { programCustomer } from '../customers/program-customer';
import { loadProgram, pointsCurrency } from '../programs';
import type { Database } from '../schema';
import { getTierLadder } from '../tiers/tier-ladder';

/**
 * The variables of engine/messaging/template-catalogue.ts for a real customer, read from the database,
 * and sample ones for a preview without a customer.
 */

/** Lots expiring within this many days are the template's `lotsExpiring`. */
const expiringDays = 30;
const day = 86_400_000;

type CouponVariables = NonNullable<TemplateVariables['coupon']>;

/** What the caller adds: the one-time code, the link, the unsubscribe address, the message's id. */
export type ExtraVariables = Pick<TemplateVariables, 'code' | 'link' | 'unsubscribeUrl' | 'message'>;

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * A customer's variables at business time `at`: profile, contacts (the phone masked), questionnaire
 * answers, points available and stored-value cash, the points expiring within 30 days, tier, program,
 * and the coupon `couponId` (which must be the customer's, or nobody's). A customer of another program
 * is a 404 naming `customer`.
 */
export async function templateVariables(
  db: Kysely<Database>,
  input: { programId: number; customerId: number; at: Date; couponId?: number; extra?: ExtraVariables },
): Promise<TemplateVariables> {
  const [program, customer, contacts] = await Promise.all([
    programVariables(db, input.programId),
    db
      .selectFrom('customers')
      .select(['profile', 'questionnaire', 'referral_code', 'tier'])
      .where('id', '=', input.customerId)
      .where('program_id', '=', input.programId)
      .executeTakeFirst(),
    db
      .selectFrom('identifiers')
      .select(['kind', 'value'])
      .where('customer_id', '=', input.customerId)
      .where('program_id', '=', input.programId)
      .where('kind', 'in', ['phone', 'email'])
      // The verified contact first, then the oldest: what the customer most likely reads.
      .orderBy('verified_at', (o) => o.desc().nullsLast())
      .orderBy('id')
      .execute(),
  ]);
  if (!customer)
    throw new DomainError('customer_not_found', 'no such customer in this program', 404, 'customer');
  const locale = text(customer.profile.locale).slice(0, 2) || program.defaultLanguage;
  const points = await pointsCurrency(db, input.programId);
  const [balances, lots, tier, coupon] = await Promise.all([
    customerBalances(db, input.customerId, { points, cash: program.currency }, input.at),
    expiringLots(db, input.customerId, points, input.at),
    tierOf(db, input.programId, customer.tier),
    input.couponId === undefined
      ? undefined
      : couponVariables(db, input.programId, input.couponId, input.customerId),
  ]);
  return {
    customer: customerVariables(customer, contacts),
    program: { name: program.name, currency: program.currency },
    balance: {
      points: balances.points.available,
      cash: balances.cash,
      cashFormatted: formatMoney(balances.cash, program.currency, locale),
    },
    lotsExpiring: lots,
    lotsExpiringTotal: lots.reduce((sum, lot) => sum + lot.points, 0),
    lotsExpiringFirstDate: lots[0]?.expiresAt ?? null,
    ...(tier ? { tier } : {}),
    ...(coupon ? { coupon } : {}),
    ...input.extra,
  };
}

/**
 * The `customer` variables from a customer's row and contacts (the first of each kind as given: the
 * verified one first), the phone masked. A mass send builds them for a whole batch from one read.
 */
export function customerVariables(
  customer: {
    profile: Record<string, unknown>;
    questionnaire: Record<string, unknown>;
    referral_code: string;
  },
  contacts: ReadonlyArray<{ kind: string; value: string }>,
): NonNullable<TemplateVariables['customer']> {
  const profile = customer.profile;
  const firstName = text(profile.firstName);
  const lastName = text(profile.lastName);
  const phone = contacts.find((c) => c.kind === 'phone')?.value;
  return {
    firstName,
    lastName,
    name: [firstName, lastName].filter(Boolean).join(' '),
    email: contacts.find((c) => c.kind === 'email')?.value ?? '',
    phone: phone ? maskPhone(phone) : '',
    locale: text(profile.locale),
    referralCode: customer.referral_code,
    birthDate: text(profile.birthDate),
    attributes: customer.questionnaire,
  };
}

/** Values that look real, for previewing a template without a customer. */
function sampleVariables(
  program: { name: string; currency: string; defaultLanguage: string },
  at: Date,
): TemplateVariables {
  const inDays = (days: number) => new Date(at.getTime() + days * day).toISOString();
  const en = program.defaultLanguage === 'en';
  const lotsExpiring = [
    { points: 150, expiresAt: inDays(7) },
    { points: 50, expiresAt: inDays(21) },
  ];
  return {
    customer: {
      firstName: en ? 'Anna' : 'Анна',
      lastName: en ? 'Smith' : 'Иванова',
      name: en ? 'Anna Smith' : 'Анна Иванова',
      email: 'anna@example.com',
      phone: '+7 916 ***-**-67',
      locale: program.defaultLanguage,
      referralCode: 'ANNA2025',
      birthDate: '1990-05-17',
      attributes: {},
    },
    program: { name: program.name, currency: program.currency },
    balance: {
      points: 1_250,
      cash: 50_000,
      cashFormatted: formatMoney(50_000, program.currency, program.defaultLanguage),
    },
    lotsExpiring,
    lotsExpiringTotal: 200,
    lotsExpiringFirstDate: lotsExpiring[0]!.expiresAt,
    coupon: { code: 'ABCD-2345', name: en ? 'Free coffee' : 'Кофе в подарок', expiresAt: inDays(14) },
    tier: { name: en ? 'Silver' : 'Серебро', code: 'silver', nextName: en ? 'Gold' : 'Золото' },
    code: '123456',
    link: 'https://example.com/a/Xy7Qp2',
    unsubscribeUrl: 'https://example.com/m/u/sample',
    message: { id: 'sample' },
  };
}

/**
 * What a preview renders with: the variables of the customer an identifier names (a 404 naming
 * `customer` when none), else samples; the locales to try and the time zone to print dates in.
 */
export async function previewVariables(
  db: Kysely<Database>,
  input: { programId: number; customer?: Identifier | undefined; couponId?: number | undefined; at: Date },
): Promise<{ variables: TemplateVariables; locales: string[]; timeZone: string }> {
  const program = await programVariables(db, input.programId);
  if (!input.customer) {
    const variables = sampleVariables(program, input.at);
    const coupon =
      input.couponId === undefined ? undefined : await couponVariables(db, program.id, input.couponId, null);
    return {
      variables: coupon ? { ...variables, coupon } : variables,
      locales: [program.defaultLanguage],
      timeZone: program.timeZone,
    };
  }
  const { customerId } = await programCustomer(db, program.id, input.customer);
  const variables = await templateVariables(db, {
    programId: program.id,
    customerId,
    at: input.at,
    ...(input.couponId === undefined ? {} : { couponId: input.couponId }),
  });
  const { profile } = await db
    .selectFrom('customers')
    .select('profile')
    .where('id', '=', customerId)
    .executeTakeFirstOrThrow();
  return {
    variables,
    locales: [variables.customer!.locale, program.defaultLanguage],
    timeZone: text(profile.timeZone) || program.timeZone,
  };
}

/** The program as templates see it, with what rendering needs (zone, language). */
export async function programVariables(db: Kysely<Database>, programId: number) {
  const [program, row] = await Promise.all([
    loadProgram(db, programId),
    db.selectFrom('programs').select('name').where('id', '=', programId).executeTakeFirstOrThrow(),
  ]);
  return {
    id: program.id,
    name: row.name,
    currency: program.currency,
    timeZone: program.timeZone,
    defaultLanguage: program.settings.defaultLanguage,
  };
}

/** Unspent, active points lots expiring within 30 days of `at`, soonest first. */
async function expiringLots(db: Kysely<Database>, customerId: number, currency: string, at: Date) {
  const accountId = await findCustomerAccount(db, customerId, 'points', currency);
  if (accountId === null) return [];
  const rows = await db
    .selectFrom('lots')
    .select(['remaining', 'expires_at'])
    .where('account_id', '=', accountId)
    .where('remaining', '>', 0)
    .where('burnt_at', 'is', null)
    .where('activates_at', '<=', at)
    .where('expires_at', '>', at)
    .where('expires_at', '<=', new Date(at.getTime() + expiringDays * day))
    .orderBy('expires_at')
    .orderBy('id')
    .execute();
  return rows.map((row) => ({ points: row.remaining, expiresAt: row.expires_at!.toISOString() }));
}

async function tierOf(db: Kysely<Database>, programId: number, code: string | null) {
  if (code === null) return undefined;
  const tiers = (await getTierLadder(db, programId))?.ladder.tiers ?? [];
  const index = tiers.findIndex((tier) => tier.code === code);
  if (index < 0) return { name: code, code, nextName: null };
  return { name: tiers[index]!.name, code, nextName: tiers[index + 1]?.name ?? null };
}

/** A coupon of the program; one issued to another customer than `customerId` is a 422 naming `couponId`. */
async function couponVariables(
  db: Kysely<Database>,
  programId: number,
  couponId: number,
  customerId: number | null,
): Promise<CouponVariables> {
  const row = await db
    .selectFrom('coupons as c')
    .innerJoin('coupon_issues as i', 'i.id', 'c.issue_id')
    .select(['c.code', 'c.customer_id', 'c.expires_at', 'i.name', 'i.pattern'])
    .where('c.id', '=', couponId)
    .where('c.program_id', '=', programId)
    .executeTakeFirst();
  if (!row)
    throw new DomainError('coupon_not_found', `no coupon ${couponId} in this program`, 404, 'couponId');
  if (customerId !== null && row.customer_id !== null && row.customer_id !== customerId) {
    throw new DomainError('coupon_not_customers', "the coupon is another customer's", 422, 'couponId');
  }
  return {
    code: formatCode(row.code, codePatternSchema.parse(row.pattern)),
    name: row.name,
    expiresAt: row.expires_at?.toISOString() ?? null,
  };
}
