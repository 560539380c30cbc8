import { sql, type Kysely } from 'kysely';
import type { ApiPrincipal } from '../api-keys';
import type { CalculateRequest } from '../../engine/contracts/purchases';
import type { TierLadder } from '../../engine/contracts/tier-ladder';
import type { Answers } from '../../engine/customers/questionnaire';
import { lotPolicySchema, type LotPolicy } from '../../engine/ledger/lot-policy';
import { parseCheck, type Check, type CustomerContext } from '../../engine/pricing/check';
import { compileRules, type CompiledRules } from '../../engine/pricing/compile';
import { localDateTime } from '../../engine/time/local-date-time';
import { fillLines } from '../catalogue/fill-lines';
import { identifierKey, identifierMatches, singleMatch, type IdentifierKey } from '../customers/identifiers';
import { queryTemplate } from '../query-template';
import type { ChangeFeed } from '../change-feed';
import { availableSql } from '../ledger/points';
import type { Trx } from '../ledger/store';
import type { ProgramInfo } from '../programs';
import { ruleSetAt } from '../promotions/active-rule-set';
import { qualifiedTier } from '../../engine/tiers/review';
import type { Database } from '../schema';
import { purchaseCounters } from './counters';
import { readUsage } from './promotion-usage';
import { couponHolder, presentCoupons, type PresentedCoupons } from './purchase-coupons';
import { loadPurchaseSetting, type PurchaseSetting, type PurchaseStore } from './purchase-setting';

export interface PurchaseCustomer {
  id: number;
  /** The points account (a master account's when pooled); null until the customer first earns. */
  accountId: number | null;
  currency: string;
  tier: string | null;
  /** The tier stored for the customer: null until the first review places them (then `tier` is the entry tier). */
  storedTier: string | null;
  tierSince: Date | null;
  cardTypeLifetime: LotPolicy | undefined;
  language: string | undefined;
  available: number;
}

/** Everything the engine needs to evaluate a check at the till, read in one place. */
export interface PurchaseContext {
  program: ProgramInfo;
  store: PurchaseStore;
  ladder: TierLadder | null;
  customer: PurchaseCustomer | null;
  compiled: CompiledRules;
  ruleSetVersion: number | null;
  check: Check;
  context: CustomerContext;
  rejectedCoupons: PresentedCoupons['rejected'];
}

const noRules = compileRules([]);

/**
 * The customer behind an identifier, the card type of the card used (else of an active card), the
 * points account and its available points at `at`, in one round trip: the till path reads them on
 * every call (a template, so it is built once).
 */
export const customerAtTill = queryTemplate((db, v: IdentifierKey & { currency: string; at: Date }) =>
  identifierMatches(db, v)
    .leftJoin('accounts as acc', (join) =>
      join.on(
        'acc.id',
        '=',
        // The owner's account by the owner's unique index (a literal kind, which the partial indexes
        // need in a generic plan): the master account's when pooled, else the customer's own.
        sql<number>`case when customers.master_account_id is null
          then (select a.id from accounts a where a.customer_id = customers.id and a.kind = 'points'
            and a.currency = ${v.currency})
          else (select a.id from accounts a where a.master_account_id = customers.master_account_id
            and a.kind = 'points' and a.currency = ${v.currency}) end`,
      ),
    )
    .select([
      'customers.tier',
      'customers.tier_since',
      'customers.profile',
      'customers.questionnaire',
      'acc.id as accountId',
      sql<{
        code: string;
        lot_policy: unknown;
      } | null>`(select json_build_object('code', ct.code, 'lot_policy', ct.lot_policy)
        from cards k join card_types ct on ct.id = k.card_type_id
        where k.customer_id = customers.id and k.status = 'active'
          and (identifiers.card_id is null or k.id = identifiers.card_id)
        order by k.id limit 1)`.as('card'),
      availableSql('acc', v.at).as('available'),
      // The segments the customer is in, as materialised (the pricing engine's `segment` condition).
      sql<string[]>`coalesce((select array_agg(s.code order by s.code) from segment_memberships m
        join segments s on s.id = m.segment_id
        where m.customer_id = customers.id and m.left_at is null and s.archived_at is null), '{}')`.as(
        'segments',
      ),
    ]),
);

async function purchaseCustomer(
  db: Kysely<Database>,
  setting: PurchaseSetting,
  request: CalculateRequest,
  at: Date,
): Promise<{
  customer: PurchaseCustomer;
  answers: Record<string, unknown>;
  segments: string[];
  birthDate?: string;
  cardType?: string;
}> {
  const { program } = setting;
  const identifier = request.customer!;
  const { rows } = await db.executeQuery(
    customerAtTill(db, {
      ...identifierKey(program.id, identifier, program.settings),
      currency: setting.pointsCurrency,
      at,
    }),
  );
  const row = singleMatch(rows, identifier);
  const customerId = row.customerId;
  const available = row.available ?? 0;
  // A customer not placed yet (new, or before the first review) holds the ladder's entry tier.
  const tier = row.tier ?? (setting.ladder ? qualifiedTier(setting.ladder, 0) : null);
  const profile = row.profile as { birthDate?: string; locale?: string };
  const lifetime = row.card ? lotPolicySchema.safeParse(row.card.lot_policy) : null;
  return {
    customer: {
      id: customerId,
      accountId: row.accountId,
      currency: setting.pointsCurrency,
      tier,
      storedTier: row.tier,
      tierSince: row.tier_since,
      cardTypeLifetime: lifetime?.success ? lifetime.data : undefined,
      language: profile.locale?.slice(0, 2),
      available,
    },
    answers: row.questionnaire,
    segments: row.segments,
    ...(profile.birthDate ? { birthDate: profile.birthDate } : {}),
    ...(row.card ? { cardType: row.card.code } : {}),
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
  /** `feed`: the process's cache of program, store and catalogue reads (db/change-feed.ts). */
  options: { holdCoupons: boolean; feed?: ChangeFeed | undefined },
): Promise<PurchaseContext> {
  const at = new Date(request.occurredAt);
  const setting = await loadPurchaseSetting(db, principal, request.storeCode, options.feed);
  const { program, store } = setting;
  const active = await ruleSetAt(db, program.id, setting.activeRuleSetId);
  const compiled = active?.compiled ?? noRules;
  const buyer = request.customer ? await purchaseCustomer(db, setting, request, at) : null;
  const counters = buyer
    ? await purchaseCounters(db, {
        programId: program.id,
        customerId: buyer.customer.id,
        at,
        timeZone: store.timeZone,
        specs: compiled.counters,
      })
    : {};
  const usage = await readUsage(db, {
    programId: program.id,
    ruleIds: compiled.trackedRuleIds,
    customerId: buyer?.customer.id ?? null,
    lock: false,
  });
  const lines = await fillLines(
    db,
    program.id,
    request.lines.map(({ giftCard, ...line }) =>
      giftCard ? { ...line, excluded: true, noRedemption: true } : line,
    ),
    options.feed,
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
    segments: buyer?.segments ?? [],
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
    ladder: setting.ladder,
    customer: buyer?.customer ?? null,
    compiled,
    ruleSetVersion: active?.version ?? null,
    check,
    context,
  };
}
