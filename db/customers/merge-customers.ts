import { sql } from 'kysely';
import { canonicalJson } from '../../engine/canonical-json';
import type { MergeCustomersResult, MergeMoved } from '../../engine/contracts/duplicates';
import { DomainError } from '../../engine/errors';
import { moveAccounts } from '../ledger/move-account';
import { lockAccount, type Trx } from '../ledger/store';
import { appendToOutbox, customerStream } from '../outbox';
import type { CustomerStatus } from '../schema';
import { customerAccount } from './accounts';
import { recordAudit } from '../audit';

export type FieldChoice = 'survivor' | 'merged';

export interface MergeCustomersInput {
  programId: number;
  survivorId: number;
  mergedId: number;
  /** For every top-level profile field both customers fill differently: whose value the survivor keeps. */
  fieldChoices: Record<string, FieldChoice>;
  /** `api-key:12`, `staff:3`. */
  actor: string;
  /** Business time of the merge: the journal entries and the audit row carry it. */
  occurredAt: Date;
  requestId?: string | null;
}

type Profile = Record<string, unknown>;

interface LockedCustomer {
  id: number;
  programId: number;
  status: CustomerStatus;
  mergedInto: number | null;
  profile: Profile;
  questionnaire: Profile;
}

const present = (value: unknown) => value !== undefined && value !== null;

/**
 * The survivor's profile after a merge, field by field over the top-level keys: a field only one of
 * them fills is kept or taken over; a field both fill with different values takes the side
 * `choices` names, and a missing choice is refused naming the field (nothing is guessed). Choices for
 * fields without a conflict are ignored.
 */
export function mergeProfiles(
  survivor: Profile,
  merged: Profile,
  choices: Record<string, FieldChoice>,
): { profile: Profile; chosen: Record<string, FieldChoice>; fromMerged: string[] } {
  const profile: Profile = { ...survivor };
  const chosen: Record<string, FieldChoice> = {};
  const fromMerged: string[] = [];
  const missing: string[] = [];
  for (const key of Object.keys(merged).sort()) {
    const mine = survivor[key];
    const theirs = merged[key];
    if (!present(theirs)) continue;
    if (!present(mine)) {
      profile[key] = theirs;
      fromMerged.push(key);
      continue;
    }
    if (canonicalJson(mine) === canonicalJson(theirs)) continue;
    const choice = Object.hasOwn(choices, key) ? choices[key] : undefined;
    if (choice === undefined) {
      missing.push(key);
      continue;
    }
    chosen[key] = choice;
    if (choice === 'merged') {
      profile[key] = theirs;
      fromMerged.push(key);
    }
  }
  if (missing.length > 0) {
    throw new DomainError(
      'field_choice_required',
      `both customers fill ${missing.map((k) => `"${k}"`).join(', ')} differently: choose "survivor" or "merged"`,
      422,
      `fieldChoices.${missing[0]}`,
    );
  }
  return { profile, chosen, fromMerged };
}

async function lockCustomer(trx: Trx, programId: number, id: number, field: string): Promise<LockedCustomer> {
  // NO KEY UPDATE: till operations that reference the customer (a foreign-key check takes KEY SHARE) are
  // not blocked by the merge's customer lock, only by its account locks; opening a new account holds
  // the row SHARE, so it waits for the merge and opens none for a merged customer (./accounts.ts).
  const row = await trx
    .selectFrom('customers')
    .select(['id', 'program_id', 'status', 'merged_into', 'profile', 'questionnaire'])
    .where('id', '=', id)
    .forNoKeyUpdate()
    .executeTakeFirst();
  if (!row || row.program_id !== programId) {
    throw new DomainError('customer_not_found', `no customer ${id} in the program`, 404, field);
  }
  return {
    id: row.id,
    programId: row.program_id,
    status: row.status,
    mergedInto: row.merged_into,
    profile: row.profile,
    questionnaire: row.questionnaire,
  };
}

/** Both customers locked in id order (two merges of one pair cannot deadlock), and checked. */
async function lockPair(trx: Trx, input: MergeCustomersInput) {
  if (input.survivorId === input.mergedId) {
    throw new DomainError('same_customer', 'a customer cannot be merged into itself', 422, 'mergedId');
  }
  const fields = new Map([
    [input.survivorId, 'survivorId'],
    [input.mergedId, 'mergedId'],
  ]);
  const locked = new Map<number, LockedCustomer>();
  for (const id of [...fields.keys()].sort((a, b) => a - b)) {
    locked.set(id, await lockCustomer(trx, input.programId, id, fields.get(id)!));
  }
  const survivor = locked.get(input.survivorId)!;
  const merged = locked.get(input.mergedId)!;
  for (const [customer, field] of [
    [survivor, 'survivorId'],
    [merged, 'mergedId'],
  ] as const) {
    if (customer.status === 'merged') {
      throw new DomainError(
        'already_merged',
        `customer ${customer.id} was already merged into customer ${customer.mergedInto ?? '?'}`,
        409,
        field,
      );
    }
  }
  if (survivor.status === 'left') {
    throw new DomainError('customer_left', `customer ${survivor.id} has left the program`, 409, 'survivorId');
  }
  return { survivor, merged };
}

/**
 * Identifiers follow the customer; one the survivor already has (same kind and value) is dropped, so
 * the resolver never sees the survivor twice for one phone, and its verification carries over.
 */
async function moveIdentifiers(trx: Trx, survivorId: number, mergedId: number) {
  const { rows } = await sql<{ dropped: number }>`
    with dropped as (
      delete from identifiers m using identifiers s
      where m.customer_id = ${mergedId} and s.customer_id = ${survivorId} and s.kind = m.kind and s.value = m.value
      returning m.kind, m.value, m.verified_at
    ),
    verified as (
      update identifiers s set verified_at = d.verified_at from dropped d
      where s.customer_id = ${survivorId} and s.kind = d.kind and s.value = d.value
        and s.verified_at is null and d.verified_at is not null
    )
    select count(*)::int as dropped from dropped`.execute(trx);
  const moved = await trx
    .updateTable('identifiers')
    .set({ customer_id: survivorId })
    .where('customer_id', '=', mergedId)
    .executeTakeFirst();
  return { moved: Number(moved.numUpdatedRows), dropped: rows[0]?.dropped ?? 0 };
}

/**
 * Money and points: each of the merged customer's accounts empties into the survivor's account of the
 * same kind and currency by one balanced `merge` entry; open lots are drawn and recreated on the
 * survivor's account with their dates and remainders, debt is added to the survivor's. The old accounts
 * keep their journal history and lots, emptied. Gift-card accounts belong to their card and simply
 * change owner.
 */
async function moveMergedAccounts(trx: Trx, input: MergeCustomersInput): Promise<MergeMoved['accounts']> {
  const owned = await trx
    .selectFrom('accounts')
    .select(['id', 'kind', 'currency'])
    .where('customer_id', '=', input.mergedId)
    .orderBy('id')
    .execute();
  const moved: MergeMoved['accounts'] = [];
  const pairs: Array<{ from: number; to: number }> = [];
  for (const account of owned) {
    if (account.kind === 'points' || account.kind === 'cash') {
      const to = await customerAccount(trx, input.survivorId, account.kind, account.currency);
      pairs.push({ from: account.id, to });
      continue;
    }
    if (account.kind !== 'gift_card') continue;
    const gift = await lockAccount(trx, account.id);
    await trx
      .updateTable('accounts')
      .set({ customer_id: input.survivorId })
      .where('id', '=', account.id)
      .execute();
    moved.push({
      fromAccountId: gift.id,
      toAccountId: gift.id,
      kind: gift.kind,
      currency: gift.currency,
      balance: gift.balance,
      lots: 0,
      debt: 0,
      entryId: null,
    });
  }
  moved.push(
    ...(await moveAccounts(trx, pairs, {
      programId: input.programId,
      kind: 'merge',
      occurredAt: input.occurredAt,
      actor: input.actor,
      reason: `customer ${input.mergedId} merged into ${input.survivorId}`,
      details: { survivorId: input.survivorId, mergedId: input.mergedId },
    })),
  );
  return moved;
}

/**
 * The merged customer's coupons, their uses, purchases, promotion usage, events and static lists become the survivor's, so
 * per-customer limits, purchase-history counters and tier spend see one customer.
 */
async function moveHistory(trx: Trx, programId: number, survivorId: number, mergedId: number) {
  const coupons = await trx
    .updateTable('coupons')
    .set({ customer_id: survivorId })
    .where('customer_id', '=', mergedId)
    .executeTakeFirst();
  await trx
    .updateTable('coupon_uses')
    .set({ customer_id: survivorId })
    .where('customer_id', '=', mergedId)
    .execute();
  const purchases = await trx
    .updateTable('purchases')
    .set({ customer_id: survivorId })
    .where('customer_id', '=', mergedId)
    .executeTakeFirst();
  await trx
    .updateTable('purchase_lines')
    .set({ customer_id: survivorId })
    .where('customer_id', '=', mergedId)
    .execute();
  // Events performed (segments count them) and the anonymous visitors that identified as the merged one.
  await trx
    .updateTable('customer_events')
    .set({ customer_id: survivorId })
    .where('customer_id', '=', mergedId)
    .execute();
  await trx
    .updateTable('customer_event_identities')
    .set({ customer_id: survivorId })
    .where('customer_id', '=', mergedId)
    .execute();
  // Static lists the merged customer was on hold the survivor instead.
  await sql`insert into segment_list_members (list_id, customer_id, added_at)
    select list_id, ${survivorId}, added_at from segment_list_members where customer_id = ${mergedId}
    on conflict do nothing`.execute(trx);
  await trx.deleteFrom('segment_list_members').where('customer_id', '=', mergedId).execute();
  await sql`
    with gone as (
      delete from promotion_usage where program_id = ${programId} and customer_id = ${mergedId} returning *
    )
    insert into promotion_usage (program_id, rule_id, customer_id, uses, discount, points, first_used_at)
    select program_id, rule_id, ${survivorId}, uses, discount, points, first_used_at from gone
    on conflict (program_id, rule_id, customer_id) do update set
      uses = promotion_usage.uses + excluded.uses,
      discount = promotion_usage.discount + excluded.discount,
      points = promotion_usage.points + excluded.points,
      first_used_at = least(promotion_usage.first_used_at, excluded.first_used_at)`.execute(trx);
  return { coupons: Number(coupons.numUpdatedRows), purchases: Number(purchases.numUpdatedRows) };
}

/**
 * Messaging follows the person: the consent ledger, the message log (a receipt message still queued
 * prints on the survivor's next check) and the linked Viber / Telegram chats become the survivor's.
 * The consent state keeps per channel and topic the later statement in business time, the merged
 * customer's only when strictly later, so neither one's STOP is lost to an older yes. The merged
 * customer's unused link tokens are deleted (a deep link sent to it links nothing now); one-time codes
 * stay, tied to the contact they were sent to.
 */
async function moveMessaging(trx: Trx, survivorId: number, mergedId: number) {
  await trx
    .updateTable('customer_consents')
    .set({ customer_id: survivorId })
    .where('customer_id', '=', mergedId)
    .execute();
  await sql`
    with gone as (
      delete from customer_consent_state where customer_id = ${mergedId} returning *
    )
    insert into customer_consent_state (customer_id, channel, topic, program_id, granted, occurred_at, consent_id)
    select ${survivorId}, channel, topic, program_id, granted, occurred_at, consent_id from gone
    on conflict (customer_id, channel, topic) do update set
      granted = excluded.granted,
      occurred_at = excluded.occurred_at,
      consent_id = excluded.consent_id
    where customer_consent_state.occurred_at < excluded.occurred_at`.execute(trx);
  // A receipt message's destination is its customer's id: the queued ones now wait for the survivor's.
  await sql`update messages set customer_id = ${survivorId},
      destination = case when channel = 'receipt' and status = 'queued' then ${String(survivorId)}
        else destination end
    where customer_id = ${mergedId}`.execute(trx);
  // A chat is linked to one customer (the key is the chat): the survivor may hold several per channel,
  // and messages go to the one linked last (customer-reach.ts).
  await trx
    .updateTable('channel_links')
    .set({ customer_id: survivorId })
    .where('customer_id', '=', mergedId)
    .execute();
  await trx
    .deleteFrom('channel_link_tokens')
    .where('customer_id', '=', mergedId)
    .where('used_at', 'is', null)
    .execute();
}

/**
 * Merges a duplicate customer into the survivor, in the caller's transaction: profile field by field,
 * questionnaire answers the survivor lacks, identifiers, cards, accounts with their lots and debt,
 * referrals, coupons, purchase history and promotion usage, consents, messages and linked chats, and
 * earlier merges into the merged customer. The merged customer stays as a record with
 * status `merged` and `merged_into` set; its journal history stays on its (now empty) accounts. Writes
 * a `customer.merge` audit row and a `customer.merged` event on the survivor's stream.
 */
export async function mergeCustomers(trx: Trx, input: MergeCustomersInput): Promise<MergeCustomersResult> {
  const { survivor, merged } = await lockPair(trx, input);
  const profile = mergeProfiles(survivor.profile, merged.profile, input.fieldChoices);
  const questionnaireFromMerged = Object.keys(merged.questionnaire)
    .filter((key) => !Object.hasOwn(survivor.questionnaire, key))
    .sort();
  const questionnaire = { ...merged.questionnaire, ...survivor.questionnaire };

  const identifiers = await moveIdentifiers(trx, survivor.id, merged.id);
  const cards = await trx
    .updateTable('cards')
    .set({ customer_id: survivor.id })
    .where('customer_id', '=', merged.id)
    .executeTakeFirst();
  const accounts = await moveMergedAccounts(trx, input);
  const referrals = await trx
    .updateTable('customers')
    .set({ referred_by: survivor.id })
    .where('referred_by', '=', merged.id)
    .where('id', '<>', survivor.id)
    .executeTakeFirst();
  const history = await moveHistory(trx, input.programId, survivor.id, merged.id);
  await moveMessaging(trx, survivor.id, merged.id);
  // Customers merged into this one earlier now point at the survivor: merged_into is always one hop.
  await trx
    .updateTable('customers')
    .set({ merged_into: survivor.id })
    .where('merged_into', '=', merged.id)
    .execute();
  await trx
    .updateTable('customers')
    .set({ profile: JSON.stringify(profile.profile), questionnaire: JSON.stringify(questionnaire) })
    .where('id', '=', survivor.id)
    .execute();
  await trx
    .updateTable('customers')
    .set({ status: 'merged', merged_into: survivor.id })
    .where('id', '=', merged.id)
    .execute();

  const moved: MergeMoved = {
    identifiers: identifiers.moved,
    identifiersDropped: identifiers.dropped,
    cards: Number(cards.numUpdatedRows),
    accounts,
    referrals: Number(referrals.numUpdatedRows),
    ...history,
  };
  const replaced = Object.fromEntries(
    profile.fromMerged.filter((key) => present(survivor.profile[key])).map((k) => [k, survivor.profile[k]]),
  );
  await recordAudit(trx, {
    programId: input.programId,
    actor: input.actor,
    action: 'customer.merge',
    subject: `customer:${survivor.id}`,
    changes: {
      mergedId: merged.id,
      fieldChoices: profile.chosen,
      profileFromMerged: profile.fromMerged,
      // What the survivor's profile held before, so the merge can be read back (and undone by hand).
      profileReplaced: replaced,
      questionnaireFromMerged,
      moved,
    },
    occurredAt: input.occurredAt,
  });
  await appendToOutbox(trx, {
    programId: input.programId,
    stream: customerStream(input.programId, String(survivor.id)),
    type: 'customer.merged',
    payload: { survivorId: survivor.id, mergedId: merged.id, moved },
    occurredAt: input.occurredAt,
    requestId: input.requestId ?? null,
  });
  return { survivorId: survivor.id, mergedId: merged.id, moved };
}
