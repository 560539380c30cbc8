import type { Kysely } from 'kysely';
import type { ApiPrincipal } from '../api-keys';
import type { CalculateRequest } from '../../engine/contracts/purchases';
import type { Answers } from '../../engine/customers/questionnaire';
import { DomainError } from '../../engine/errors';
import { lotPolicySchema, type LotPolicy } from '../../engine/ledger/lot-policy';
import { parseCheck, type Check, type CustomerContext } from '../../engine/pricing/check';
import { compileRules, type CompiledRules } from '../../engine/pricing/compile';
import { requiredCounters } from '../../engine/pricing/history';
import { localDateTime } from '../../engine/time/local-date-time';
import { fillLines } from '../catalogue/fill-lines';
import { resolveCustomer } from '../customers/identifiers';
import { pointsBalance } from '../ledger/points';
import type { Trx } from '../ledger/store';
import { loadProgram, pointsCurrency, type ProgramInfo } from '../programs';
import { activeRuleSet } from '../promotions/active-rule-set';
import { getTierLadder } from '../tiers/tier-ladder';
import { qualifiedTier } from '../../engine/tiers/review';
import type { Database } from '../schema';
import { purchaseCounters } from './counters';
import { readUsage, trackedRules } from './promotion-usage';
import { couponHolder, presentCoupons, type PresentedCoupons } from './purchase-coupons';

export interface PurchaseStore {
  id: number;
  code: string;
  partnerCode: string;
  timeZone: string;
  groupCodes: string[];
}

export interface PurchaseCustomer {
  id: number;
  /** The points account (a master account's when pooled); null until the customer first earns. */
  accountId: number | null;
  currency: string;
  tier: string | null;
  tierSince: Date | null;
  cardTypeLifetime: LotPolicy | undefined;
  language: string | undefined;
  available: number;
}

/** Everything the engine needs to evaluate a check at the till, read in one place. */
export interface PurchaseContext {
  program: ProgramInfo;
  store: PurchaseStore;
  customer: PurchaseCustomer | null;
  compiled: CompiledRules;
  ruleSetVersion: number | null;
  check: Check;
  context: CustomerContext;
  rejectedCoupons: PresentedCoupons['rejected'];
}

const noRules = compileRules([]);
const counterSpecs = new WeakMap<CompiledRules, ReturnType<typeof requiredCounters>>();

/** The store of the check: the key's own, else the one named (a partner key names one of its stores). */
export async function purchaseStore(
  db: Kysely<Database>,
  principal: ApiPrincipal,
  storeCode: string | undefined,
): Promise<PurchaseStore> {
  if (principal.storeId === null && storeCode === undefined) {
    throw new DomainError('store_required', 'this API key has no store: send storeCode', 422, 'storeCode');
  }
  let query = db
    .selectFrom('stores')
    .innerJoin('partners', 'partners.id', 'stores.partner_id')
    .select(['stores.id', 'stores.code', 'stores.time_zone', 'partners.code as partnerCode'])
    .where('partners.program_id', '=', principal.programId);
  query =
    principal.storeId !== null
      ? query.where('stores.id', '=', principal.storeId)
      : query.where('stores.code', '=', storeCode!);
  if (principal.partnerId !== null) query = query.where('partners.id', '=', principal.partnerId);
  const store = await query.executeTakeFirst();
  if (!store || (storeCode !== undefined && store.code !== storeCode)) {
    throw new DomainError('unknown_store', `no store "${storeCode}" for this API key`, 422, 'storeCode');
  }
  const groups = await db
    .selectFrom('store_group_members')
    .innerJoin('store_groups', 'store_groups.id', 'store_group_members.group_id')
    .select('store_groups.code')
    .where('store_group_members.store_id', '=', store.id)
    .execute();
  return {
    id: store.id,
    code: store.code,
    partnerCode: store.partnerCode,
    timeZone: store.time_zone,
    groupCodes: groups.map((g) => g.code).sort(),
  };
}

async function purchaseCustomer(
  db: Kysely<Database>,
  program: ProgramInfo,
  request: CalculateRequest,
  at: Date,
): Promise<{
  customer: PurchaseCustomer;
  answers: Record<string, unknown>;
  birthDate?: string;
  cardType?: string;
}> {
  const { customerId, cardId } = await resolveCustomer(db, program.id, request.customer!, program.settings);
  const row = await db
    .selectFrom('customers')
    .select(['tier', 'tier_since', 'profile', 'questionnaire', 'master_account_id'])
    .where('id', '=', customerId)
    .executeTakeFirstOrThrow();
  const card = await db
    .selectFrom('cards')
    .innerJoin('card_types', 'card_types.id', 'cards.card_type_id')
    .select(['card_types.code', 'card_types.lot_policy'])
    .where('cards.customer_id', '=', customerId)
    .$if(cardId !== null, (q) => q.where('cards.id', '=', cardId!))
    .where('cards.status', '=', 'active')
    .orderBy('cards.id')
    .executeTakeFirst();
  const currency = await pointsCurrency(db, program.id);
  const account = await db
    .selectFrom('accounts')
    .select('id')
    .where(
      row.master_account_id ? 'master_account_id' : 'customer_id',
      '=',
      row.master_account_id ?? customerId,
    )
    .where('kind', '=', 'points')
    .where('currency', '=', currency)
    .executeTakeFirst();
  const available = account ? (await pointsBalance(db, account.id, at)).available : 0;
  // A customer not placed yet (new, or before the first review) holds the ladder's entry tier.
  const ladder = row.tier === null ? await getTierLadder(db, program.id) : undefined;
  const tier = row.tier ?? (ladder ? qualifiedTier(ladder.ladder, 0) : null);
  const profile = row.profile as { birthDate?: string; locale?: string };
  const lifetime = card ? lotPolicySchema.safeParse(card.lot_policy) : null;
  return {
    customer: {
      id: customerId,
      accountId: account?.id ?? null,
      currency,
      tier,
      tierSince: row.tier_since,
      cardTypeLifetime: lifetime?.success ? lifetime.data : undefined,
      language: profile.locale?.slice(0, 2),
      available,
    },
    answers: row.questionnaire,
    ...(profile.birthDate ? { birthDate: profile.birthDate } : {}),
    ...(card ? { cardType: card.code } : {}),
  };
}

/**
 * Reads what a check is evaluated against: program, store, customer (by any identifier, or none),
 * the published rule set, the purchase-history counters and promotion usage the rules read, the
 * catalogue's line attributes, the store's local date-time, and the presented coupons (held for the
 * check when `holdCoupons` and the till names it).
 */
export async function loadPurchaseContext(
  db: Kysely<Database> | Trx,
  principal: ApiPrincipal,
  request: CalculateRequest,
  options: { lockUsage: boolean; holdCoupons: boolean },
): Promise<PurchaseContext> {
  const at = new Date(request.occurredAt);
  const program = await loadProgram(db, principal.programId);
  const store = await purchaseStore(db, principal, request.storeCode);
  const active = await activeRuleSet(db, program.id);
  const compiled = active?.compiled ?? noRules;
  const buyer = request.customer ? await purchaseCustomer(db, program, request, at) : null;
  let specs = counterSpecs.get(compiled);
  if (!specs) {
    specs = requiredCounters(compiled.rules);
    counterSpecs.set(compiled, specs);
  }
  const counters = buyer
    ? await purchaseCounters(db, {
        programId: program.id,
        customerId: buyer.customer.id,
        at,
        timeZone: store.timeZone,
        specs,
      })
    : {};
  const usage = await readUsage(db, {
    programId: program.id,
    ruleIds: trackedRules(compiled),
    customerId: buyer?.customer.id ?? null,
    lock: options.lockUsage,
  });
  const lines = await fillLines(
    db,
    program.id,
    request.lines.map(({ giftCard, ...line }) =>
      giftCard ? { ...line, excluded: true, noRedemption: true } : line,
    ),
  );
  const coupons = await presentCoupons(db, {
    programId: program.id,
    codes: request.coupons,
    customerId: buyer?.customer.id ?? null,
    at,
    holder:
      options.holdCoupons && request.externalRef !== undefined
        ? couponHolder(store.id, request.externalRef)
        : null,
    ttlSeconds: program.settings.purchases.couponReservationSeconds,
  });
  const check = parseCheck(
    {
      lines,
      storeId: store.code,
      storeGroupIds: store.groupCodes,
      partnerId: store.partnerCode,
      localDateTime: localDateTime(at, store.timeZone),
      timeZone: store.timeZone,
    },
    'check',
  );
  const context: CustomerContext = {
    ...(buyer ? { customerId: String(buyer.customer.id) } : {}),
    ...(buyer?.customer.tier ? { tier: buyer.customer.tier } : {}),
    ...(buyer?.cardType ? { cardType: buyer.cardType } : {}),
    segments: [],
    answers: (buyer?.answers ?? {}) as Answers,
    ...(buyer?.birthDate ? { birthDate: buyer.birthDate } : {}),
    counters,
    pointsBalance: buyer?.customer.available ?? 0,
    ...usage,
    coupons: coupons.usable,
    language: buyer?.customer.language ?? program.settings.defaultLanguage,
  };
  return {
    rejectedCoupons: coupons.rejected,
    program,
    store,
    customer: buyer?.customer ?? null,
    compiled,
    ruleSetVersion: active?.version ?? null,
    check,
    context,
  };
}
