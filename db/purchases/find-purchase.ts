import type { ApiPrincipal } from '../api-keys';
import { DomainError } from '../../engine/errors';
import type { EvaluationResult } from '../../engine/pricing/result';
import { customerAccount } from '../customers/accounts';
import type { Trx } from '../ledger/store';
import { loadPurchaseSetting } from './purchase-setting';
import type { StoredPurchase } from './reverse-units';

/**
 * The purchase a cancel or return names — by id, or by the till's ref in the key's store — locked for
 * the rest of the transaction. A key bound to a store or partner reaches only its own purchases. Its
 * points account is the one that holds the customer's points now: the survivor's after a merge (which
 * moves the purchase to the survivor), the pool's after the customer joined a master account.
 */
export async function lockPurchase(
  trx: Trx,
  principal: ApiPrincipal,
  ref: { purchaseId?: number | undefined; externalRef?: string | undefined; storeCode?: string | undefined },
): Promise<StoredPurchase> {
  if (ref.purchaseId === undefined && ref.externalRef === undefined) {
    throw new DomainError('purchase_required', 'send purchaseId or externalRef', 422, 'purchaseId');
  }
  let query = trx
    .selectFrom('purchases')
    .select([
      'id',
      'program_id',
      'store_id',
      'external_ref',
      'customer_id',
      (eb) =>
        eb
          .selectFrom('accounts')
          .select('currency')
          .whereRef('accounts.id', '=', 'purchases.account_id')
          .as('points_currency'),
      'status',
      'result',
      'check',
      'payments',
    ])
    .where('program_id', '=', principal.programId);
  if (ref.purchaseId !== undefined) query = query.where('id', '=', ref.purchaseId);
  if (ref.externalRef !== undefined) {
    const { store } = await loadPurchaseSetting(trx, principal, ref.storeCode);
    query = query.where('store_id', '=', store.id).where('external_ref', '=', ref.externalRef);
  }
  if (principal.storeId !== null) query = query.where('store_id', '=', principal.storeId);
  if (principal.partnerId !== null) {
    query = query.where('store_id', 'in', (eb) =>
      eb.selectFrom('stores').select('id').where('partner_id', '=', principal.partnerId!),
    );
  }
  const row = await query.forUpdate().executeTakeFirst();
  if (!row)
    throw new DomainError('purchase_not_found', 'no such purchase for this API key', 404, 'purchaseId');
  const { points_currency: currency, ...purchase } = row;
  return {
    ...purchase,
    points_account_id:
      purchase.customer_id !== null && currency !== null
        ? await customerAccount(trx, purchase.customer_id, 'points', currency)
        : null,
    result: row.result as unknown as EvaluationResult,
    check: row.check as unknown as StoredPurchase['check'],
    payments: row.payments as StoredPurchase['payments'],
  };
}
