import { DomainError } from '../errors';

/**
 * The life of a card: New (printed or generated, not handed out) → Active ↔ Blocked → Closed or
 * Completed. Closed and Completed are final. New → Closed destroys unissued stock.
 */
export type CardStatus = 'new' | 'active' | 'blocked' | 'closed' | 'completed';

export const cardStatuses: readonly CardStatus[] = ['new', 'active', 'blocked', 'closed', 'completed'];

const allowed: Readonly<Record<CardStatus, readonly CardStatus[]>> = {
  new: ['active', 'closed'],
  active: ['blocked', 'closed', 'completed'],
  blocked: ['active', 'closed', 'completed'],
  closed: [],
  completed: [],
};

export function canTransition(from: CardStatus, to: CardStatus): boolean {
  return allowed[from].includes(to);
}

/** Final statuses: no transition leaves them. */
export function isFinalCardStatus(status: CardStatus): boolean {
  return allowed[status].length === 0;
}

/**
 * The status after the move, or a DomainError: `card_transition_not_allowed` (409) for a move the
 * machine does not have, `reason_required` (422, field `reason`) when blocking without a reason.
 */
export function transitionCard(from: CardStatus, to: CardStatus, reason?: string): CardStatus {
  if (!canTransition(from, to)) {
    throw new DomainError('card_transition_not_allowed', `a card cannot go from ${from} to ${to}`, 409);
  }
  if (to === 'blocked' && !reason?.trim()) {
    throw new DomainError('reason_required', 'blocking a card requires a reason', 422, 'reason');
  }
  return to;
}
