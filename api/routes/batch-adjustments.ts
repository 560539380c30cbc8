import { runBatchAdjustment } from '../../db/ledger/batch-adjustments';
import { batchAdjustmentResultSchema, batchAdjustmentSchema } from '../../engine/contracts/batch-adjustment';
import { mutation } from '../idempotent-route';
import type { ApiApp, ApiDependencies } from '../types';
import { adjustmentAuthor } from './operations';

const url = '/v1/operations/batch-adjustments';

/**
 * The JSON body carries the CSV text, which may be up to ~5 MB of characters; JSON escaping and
 * multi-byte UTF-8 make the body larger than that, so this one route accepts bodies up to 16 MiB.
 */
const bodyLimit = 16 * 1024 * 1024;

/** Manual adjustments from an uploaded CSV, all or nothing, with a dry run. */
export function registerBatchAdjustmentRoutes(app: ApiApp, deps: ApiDependencies): void {
  mutation(app, deps, {
    url,
    scope: 'operations:adjust',
    bodyLimit,
    summary: 'Adjust points of many customers from a CSV file',
    description: [
      'The body carries the CSV text: a header line `identifier_kind,identifier,amount[,currency][,reason]`',
      '(columns in any order, "," or ";" as delimiter, RFC 4180 quoting), then one row per adjustment, the',
      'customer addressed by any identifier kind. A positive amount credits, a negative one takes points back',
      '(never more than the customer holds). Rows are applied in file order, all or nothing.',
      '',
      'The answer is 200 with a report whether or not the batch was applied: `applied: true` when every row',
      'was valid and applied; otherwise (a rejected file, or `dryRun: true`) `applied: false`, nothing is',
      'written, and `errors` lists every problem by file line and column. `preview` shows each applicable',
      "row's balance before and after, computed exactly as a real run would. The report is stored under the",
      'Idempotency-Key like any answer: send a corrected file with a new key. 4xx answers are kept for the',
      "request itself (bad body, a staffId not the key's own, missing scope).",
      '',
      'A file is identified by its parsed rows and optional `fileId`. Sent again under a new key, a file',
      'already applied is refused (409 `batch_already_applied`, naming its first batchId) unless `repeatOf`',
      'names its latest application: then it is applied once more as `<batchId>/<n>`. Every applied batch',
      "leaves an audit record (`points.batch_adjust`, subject its batchId), authored by the key's staff user",
      'or else the key.',
    ].join('\n'),
    body: batchAdjustmentSchema,
    response: batchAdjustmentResultSchema,
    async run(trx, body, principal) {
      const author = adjustmentAuthor(principal, body.staffId);
      return runBatchAdjustment(trx, {
        programId: principal.programId,
        staffId: author.staffId,
        actor: author.actor,
        occurredAt: new Date(body.occurredAt),
        reason: body.reason,
        csv: body.csv,
        dryRun: body.dryRun,
        fileId: body.fileId,
        repeatOf: body.repeatOf,
      });
    },
  });
}
