import type { CardStatus } from '../../engine/cards/card-status';
import { transitionCard } from '../../engine/cards/card-status';
import { DomainError } from '../../engine/errors';
import type { Trx } from '../ledger/store';
import { issueVirtualCard } from './card-templates';
import { recordAudit } from '../audit';

export interface CardChange {
  programId: number;
  actor: string;
  /** Business time of the change. */
  occurredAt: Date;
}

const findCardForUpdate = (trx: Trx, programId: number, number: string) =>
  trx
    .selectFrom('cards')
    .select(['id', 'status', 'customer_id', 'virtual'])
    .where('program_id', '=', programId)
    .where('number', '=', number.trim())
    .forUpdate()
    .executeTakeFirst();

async function lockCard(trx: Trx, programId: number, number: string, field: string) {
  const card = await findCardForUpdate(trx, programId, number);
  if (!card) throw new DomainError('card_not_found', 'no card with this number', 404, field);
  return card;
}

async function record(
  trx: Trx,
  change: CardChange,
  card: { id: number; customer_id: number | null },
  from: CardStatus,
  to: CardStatus,
  reason: string | null,
  action: string,
) {
  await trx
    .insertInto('card_status_history')
    .values({
      card_id: card.id,
      from_status: from,
      to_status: to,
      reason,
      actor: change.actor,
      occurred_at: change.occurredAt,
    })
    .execute();
  await recordAudit(trx, {
    programId: change.programId,
    actor: change.actor,
    action,
    subject: card.customer_id ? `customer:${card.customer_id}` : `card:${card.id}`,
    changes: { cardId: card.id, from, to, reason },
    occurredAt: change.occurredAt,
  });
}

/** Moves a card along its status machine (block needs a reason), with history and audit. */
export async function changeCardStatus(
  trx: Trx,
  change: CardChange & { number: string; to: CardStatus; reason?: string | null },
): Promise<{ cardId: number; status: CardStatus }> {
  const card = await lockCard(trx, change.programId, change.number, 'card');
  const to = transitionCard(card.status, change.to, change.reason ?? undefined);
  await trx
    .updateTable('cards')
    .set({ status: to, status_reason: change.reason ?? null })
    .where('id', '=', card.id)
    .execute();
  await record(
    trx,
    change,
    card,
    card.status,
    to,
    change.reason ?? null,
    `card.${to === 'active' ? 'unblock' : to}`,
  );
  return { cardId: card.id, status: to };
}

/**
 * Binds a new card from a pool to a customer and activates it. An unknown number and a card issued
 * already get one answer (same status, code and message), so binding cannot probe which numbers exist.
 */
export async function bindCard(
  trx: Trx,
  change: CardChange & { customerId: number; number: string; field?: string },
): Promise<{ cardId: number }> {
  const field = change.field ?? 'card';
  const card = await findCardForUpdate(trx, change.programId, change.number);
  if (!card || card.status !== 'new' || card.customer_id !== null) {
    throw new DomainError('card_not_available', 'no new card with this number to bind', 409, field);
  }
  transitionCard('new', 'active');
  await trx
    .updateTable('cards')
    .set({ customer_id: change.customerId, status: 'active' })
    .where('id', '=', card.id)
    .execute();
  await trx
    .insertInto('identifiers')
    .values({
      program_id: change.programId,
      kind: 'card',
      value: change.number.trim(),
      customer_id: change.customerId,
      card_id: card.id,
    })
    .execute();
  await record(
    trx,
    change,
    { id: card.id, customer_id: change.customerId },
    'new',
    'active',
    null,
    'card.bind',
  );
  return { cardId: card.id };
}

/**
 * Replaces a lost or damaged card: the old one is closed and points to the new one, which is bound to
 * the same customer. Balances and history belong to the customer, so all of them carry over.
 */
export async function replaceCard(
  trx: Trx,
  change: CardChange & {
    oldNumber: string;
    replacement: { number: string } | { virtualTemplateId: number };
    reason: string;
  },
): Promise<{ oldCardId: number; newCardId: number; newNumber: string; customerId: number }> {
  const old = await lockCard(trx, change.programId, change.oldNumber, 'card');
  if (old.customer_id === null)
    throw new DomainError('card_not_bound', 'the card belongs to no customer', 409, 'card');
  if (old.status !== 'active' && old.status !== 'blocked') {
    throw new DomainError(
      'card_transition_not_allowed',
      `a ${old.status} card cannot be replaced`,
      409,
      'card',
    );
  }
  const customerId = old.customer_id;
  const { cardId: newCardId, number: newNumber } =
    'number' in change.replacement
      ? {
          ...(await bindCard(trx, {
            ...change,
            customerId,
            number: change.replacement.number,
            field: 'newCard',
          })),
          number: change.replacement.number.trim(),
        }
      : await issueVirtualCard(trx, {
          programId: change.programId,
          templateId: change.replacement.virtualTemplateId,
          customerId,
        });
  await trx
    .updateTable('cards')
    .set({ status: 'closed', status_reason: `replaced: ${change.reason}`, replaced_by: newCardId })
    .where('id', '=', old.id)
    .execute();
  await record(
    trx,
    change,
    old,
    old.status,
    'closed',
    `replaced by card ${newCardId}: ${change.reason}`,
    'card.replace',
  );
  return { oldCardId: old.id, newCardId, newNumber, customerId };
}
