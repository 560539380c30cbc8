import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors';
import {
  canTransition,
  cardStatuses,
  isFinalCardStatus,
  transitionCard,
  type CardStatus,
} from './card-status';

const allowed = new Set([
  'new→active',
  'new→closed',
  'active→blocked',
  'active→closed',
  'active→completed',
  'blocked→active',
  'blocked→closed',
  'blocked→completed',
]);

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }
  throw new Error('expected a DomainError');
}

describe('card status machine', () => {
  it('allows exactly the listed moves, for every pair of statuses', () => {
    for (const from of cardStatuses) {
      for (const to of cardStatuses) {
        const ok = allowed.has(`${from}→${to}`);
        expect(canTransition(from, to), `${from}→${to}`).toBe(ok);
        if (ok) {
          expect(transitionCard(from, to, 'lost')).toBe(to);
        } else {
          const error = refusal(() => transitionCard(from, to, 'lost'));
          expect(error.code).toBe('card_transition_not_allowed');
          expect(error.status).toBe(409);
        }
      }
    }
  });

  it('needs a reason to block', () => {
    for (const reason of [undefined, '', '   ']) {
      const error = refusal(() => transitionCard('active', 'blocked', reason));
      expect([error.code, error.status, error.field]).toEqual(['reason_required', 422, 'reason']);
    }
    expect(transitionCard('active', 'blocked', 'stolen')).toBe('blocked');
    expect(transitionCard('blocked', 'active')).toBe('active');
    expect(transitionCard('active', 'closed')).toBe('closed');
  });

  it('refuses a move that is not allowed before asking for a reason', () => {
    expect(refusal(() => transitionCard('closed', 'blocked')).code).toBe('card_transition_not_allowed');
  });

  it('has closed and completed as its only final statuses', () => {
    expect(cardStatuses.filter(isFinalCardStatus)).toEqual(['closed', 'completed']);
  });

  it('never returns to new nor leaves a final status, whatever the walk', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...cardStatuses), { maxLength: 30 }), (targets) => {
        let status: CardStatus = 'new';
        for (const to of targets) {
          if (!canTransition(status, to)) continue;
          const before = status;
          status = transitionCard(status, to, 'reason');
          expect(status).not.toBe('new');
          expect(isFinalCardStatus(before)).toBe(false);
        }
      }),
    );
  });
});
