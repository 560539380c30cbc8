import { z } from 'zod';
import { getListUpload, listSegmentLists, queueListUpload } from '../../db/segments';
import { listUploadSchema, segmentListSchema, staticListInputSchema } from '../../engine/segments';
import { actingAs } from '../auth';
import { mutation } from '../idempotent-route';
import { read } from '../read-route';
import type { ApiApp, ApiDependencies } from '../types';

/** Static lists: uploaded as CSV, processed by the worker with progress the back office polls. */
export function registerSegmentListRoutes(app: ApiApp, deps: ApiDependencies): void {
  mutation(app, deps, {
    url: '/v1/segment-lists',
    scope: 'segments:manage',
    status: 202,
    summary: 'Upload a static list (CSV); the worker processes it',
    description:
      'One identifier a line in the first column, of the kind named; a header line `identifier` is skipped; at most 1 000 000 lines. A malformed CSV or a longer one is a 422 naming `csv` and nothing is stored. Otherwise the upload is stored and answered at once (202, `queued`); the worker resolves its lines in chunks of 20 000 — poll `GET /v1/segment-lists/uploads/{id}` for `rowsDone` of `rowsTotal` — and then applies it to the list in one step: the list becomes the customers the lines name (`replace`) or they are added to it (`add`); the list never shows half an upload. Lines that name no customer, or several, or are not a valid identifier are counted (`errorCount`) and the first 1 000 reported by line. A new list exists (empty) from the upload on, so a `list` condition may name it at once.',
    body: staticListInputSchema,
    response: listUploadSchema,
    bodyLimit: 70 * 1024 * 1024,
    run: (trx, body, principal, request) =>
      queueListUpload(trx, { ...body, ...actingAs(principal), requestId: request.id }),
  });

  read(app, deps, {
    url: '/v1/segment-lists',
    scope: 'segments:read',
    summary: "The program's static lists",
    description: 'By code, with the number of members and the newest upload to each.',
    response: z.object({ lists: z.array(segmentListSchema) }),
    run: async (_input, principal) => ({ lists: await listSegmentLists(deps.db, principal.programId) }),
  });

  read(app, deps, {
    url: '/v1/segment-lists/uploads/:id',
    scope: 'segments:read',
    summary: 'A static list upload and its progress',
    description:
      '`status` queued → running → done (or failed, with `failure`); `rowsDone` of `rowsTotal` lines resolved so far; once done, what it did to the list (`added`, `removed`, `members`); per-line errors as they are found.',
    params: z.object({ id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }).strict(),
    response: listUploadSchema,
    run: ({ params }, principal) => getListUpload(deps.db, principal.programId, params.id),
  });
}
