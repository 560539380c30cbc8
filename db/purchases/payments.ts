import type { Payment } from '../../engine/contracts/purchases';
import { DomainError } from '../../engine/errors';
import { customerAccount } from '../customers/accounts';
import { refundGiftCardSpend } from '../gift-cards/refund';
import { spendGiftCard } from '../gift-cards/spend';
import { moveCash } from '../ledger/cash';
import type { Trx } from '../ledger/store';

/** Payments beside points: gift cards and the customer's cash account move money in the ledger. */

const holderOf = (purchaseId: number) => `purchase:${purchaseId}`;

/** Money payments must add up to what is left to pay after points; none given means cash. */
export function checkPayments(payments: Payment[], payable: number): Payment[] {
  if (payments.length === 0) return [{ type: 'cash', amount: payable }];
  const total = payments.reduce((sum, p) => sum + p.amount, 0);
  if (total !== payable) {
    throw new DomainError(
      'payments_mismatch',
      `payments add up to ${total}, ${payable} is due`,
      422,
      'payments',
    );
  }
  return payments;
}

/** Debits (pays) or credits (gives back) the customer's cash account for a purchase. */
async function moveCustomerCash(
  trx: Trx,
  input: {
    programId: number;
    purchaseId: number;
    customerId: number;
    currency: string;
    amount: number;
    at: Date;
    actor: string;
  },
  direction: 'debit' | 'credit',
): Promise<void> {
  await moveCash(trx, {
    programId: input.programId,
    occurredAt: input.at,
    actor: input.actor,
    details: { purchaseId: input.purchaseId },
    accountId: await customerAccount(trx, input.customerId, 'cash', input.currency),
    amount: input.amount,
    direction,
    role: 'cash_clearing',
    kind: direction === 'debit' ? 'purchase.pay' : 'purchase.cancel.pay',
  });
}

/** Takes the gift-card and cash-account payments of a confirmed purchase. */
export async function takePayments(
  trx: Trx,
  input: {
    programId: number;
    purchaseId: number;
    customerId: number | null;
    currency: string;
    payments: Payment[];
    at: Date;
    actor: string;
  },
): Promise<void> {
  for (const [i, p] of input.payments.entries()) {
    if (p.amount === 0) continue;
    if (p.type === 'giftCard') {
      await spendGiftCard(trx, {
        programId: input.programId,
        number: p.giftCard!.number,
        ...(p.giftCard!.pin !== undefined ? { pin: p.giftCard!.pin } : {}),
        amount: p.amount,
        holder: holderOf(input.purchaseId),
        at: input.at,
        actor: input.actor,
      });
    } else if (p.type === 'cashAccount') {
      if (input.customerId === null) {
        throw new DomainError(
          'customer_required',
          'an anonymous check has no cash account',
          422,
          `payments.${i}.type`,
        );
      }
      await moveCustomerCash(trx, { ...input, customerId: input.customerId, amount: p.amount }, 'debit');
    }
  }
}

/**
 * Gives back `amount` of a cancelled purchase's money (what its units not yet returned were paid in
 * money): first to the gift cards and the cash account it was paid from, the rest by the till.
 * Returns what the till hands back.
 */
export async function refundPayments(
  trx: Trx,
  input: {
    programId: number;
    purchaseId: number;
    customerId: number | null;
    currency: string;
    payments: { type: string; amount: number; giftCard?: { number: string } }[];
    amount: number;
    at: Date;
    actor: string;
  },
): Promise<number> {
  let left = input.amount;
  for (const p of input.payments) {
    const back = Math.min(p.amount, left);
    if (back <= 0) continue;
    if (p.type === 'giftCard' && p.giftCard) {
      await refundGiftCardSpend(trx, {
        programId: input.programId,
        holder: holderOf(input.purchaseId),
        number: p.giftCard.number,
        amount: back,
        at: input.at,
        actor: input.actor,
      });
      left -= back;
    } else if (p.type === 'cashAccount' && input.customerId !== null) {
      await moveCustomerCash(trx, { ...input, customerId: input.customerId, amount: back }, 'credit');
      left -= back;
    }
  }
  return left;
}
