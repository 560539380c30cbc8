import type { ApiPrincipal } from '../api-keys';
import { DomainError } from '../../engine/errors';
import type { EvaluationResult } from '../../engine/pricing/result';
import type { Trx } from '../ledger/store';
import { loadPurchaseSetting } from './purchase-setting';
import type { StoredPurchase } from './reverse-units';

/**
 * The purchase a cancel or return names — by id, or by the till's ref in the key's store — locked for
 * the rest of the transaction. A key bound to a store or partner reaches only its own purchases.
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
      'account_id',
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
  return {
    ...row,
    result: row.result as unknown as EvaluationResult,
    check: row.check as unknown as StoredPurchase['check'],
    payments: row.payments as StoredPurchase['payments'],
  };
}
