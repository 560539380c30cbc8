import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueListUpload } from '../../db/segments';
import { useApiFixture } from '../../test/support/api-fixture';
import { apiGet } from '../../test/support/api-requests';
import {
  listUploadWorkflow,
  redeliverListUpload,
  startOutboxWorker,
  type OutboxWorker,
} from '../../test/support/outbox-worker';
import { insertListCustomers } from '../../test/support/segment-lists';
import { tableChecksums } from '../../test/support/table-checksums';
import { waitFor } from '../../test/support/wait';

/**
 * Static list uploads end to end: the API stores the upload, the outbox dispatcher starts its workflow
 * on the real Temporal dev server, the worker resolves it in chunks and applies it. With
 * LOYALFLOW_RECORD_HISTORIES=1 the runs are written to workflows/histories/ for the replay test.
 */
const api = useApiFixture('segment-lists');
const back = (url: string, payload: object, key?: string) =>
  api.call(url, payload, { token: api.demo.backOfficeApiKey, ...(key ? { key } : {}) });
const at = '2026-11-25T12:00:00+03:00';
const anna = { kind: 'phone', value: '+79161110001' } as const;
const boris = { kind: 'phone', value: '+79161110002' } as const;
const histories = path.resolve(import.meta.dirname, '..', '..', 'workflows', 'histories');

let worker: OutboxWorker;

interface Upload {
  id: number;
  status: string;
  rowsTotal: number;
  rowsDone: number;
  added: number | null;
  removed: number | null;
  members: number | null;
  errorCount: number;
  errors: { line: number; value: string; message: string }[];
  failure: string | null;
}

const upload = async (id: number): Promise<Upload> => {
  const r = await apiGet(api, `/v1/segment-lists/uploads/${id}`);
  expect(r.statusCode, r.body).toBe(200);
  return r.json();
};

/** Polls the upload until it has finished, every `everyMs`; answers it and every rowsDone seen. */
async function finished(id: number, everyMs = 100): Promise<{ upload: Upload; seen: number[] }> {
  const seen: number[] = [];
  const deadline = Date.now() + 120_000;
  for (;;) {
    const u = await upload(id);
    seen.push(u.rowsDone);
    if (u.status === 'done' || u.status === 'failed') return { upload: u, seen };
    if (Date.now() > deadline) throw new Error(`upload ${id} still ${u.status}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

async function record(uploadId: number, file: string, runId?: string): Promise<void> {
  if (process.env.LOYALFLOW_RECORD_HISTORIES !== '1') return;
  const { workflowId } = listUploadWorkflow(worker, uploadId);
  const history = await worker.client.workflow.getHandle(workflowId, runId).fetchHistory();
  writeFileSync(path.join(histories, file), JSON.stringify(JSON.parse(historyToJSON(history)), null, 2));
}

const count = async (list: string) =>
  (await back('/v1/segments/check', { condition: { type: 'list', list } })).json().count as number;

beforeAll(async () => {
  for (const phone of [anna.value, boris.value]) {
    const r = await api.call('/v1/customers', { channel: 'till', registeredAt: at, phone });
    expect(r.statusCode, r.body).toBe(201);
  }
  worker = await startOutboxWorker(api.t);
});
afterAll(async () => {
  await worker?.stop();
});

describe('static list uploads through the API', () => {
  it('stores an upload (202), the worker resolves and applies it, reporting the lines that name no customer', async () => {
    const posted = await back('/v1/segment-lists', {
      code: 'vip',
      name: 'VIP',
      identifierKind: 'phone',
      csv: `identifier\n${anna.value}\n+79990000000\nnot a phone\n\n${boris.value}\n`,
    });
    expect(posted.statusCode, posted.body).toBe(202);
    expect(posted.json()).toMatchObject({ code: 'vip', status: 'queued', rowsTotal: 4, rowsDone: 0 });
    // The list exists (empty) at once: a segment may name it before the upload is applied.
    expect(
      (await back('/v1/segments/check', { condition: { type: 'list', list: 'vip' } })).json(),
    ).toMatchObject({ valid: true });

    const { upload: done } = await finished(posted.json().id);
    expect(done).toMatchObject({
      status: 'done',
      rowsTotal: 4,
      rowsDone: 4,
      added: 2,
      removed: 0,
      members: 2,
      errorCount: 2,
      failure: null,
    });
    expect(done.errors).toEqual([
      { line: 3, value: '+79990000000', message: 'no such customer' },
      { line: 4, value: 'not a phone', message: expect.any(String) },
    ]);
    expect(await count('vip')).toBe(2);
    const lists = await apiGet(api, '/v1/segment-lists');
    expect(lists.statusCode, lists.body).toBe(200);
    expect(lists.json().lists).toEqual([
      {
        code: 'vip',
        name: 'VIP',
        members: 2,
        createdAt: expect.any(String),
        lastUpload: { id: done.id, status: 'done', createdAt: expect.any(String) },
      },
    ]);

    await record(done.id, 'segment-list-upload.json');
    // A redelivered start (the outbox is at least once) runs again, resolves nothing and changes nothing.
    const again = await redeliverListUpload(worker, done.id);
    await expect(again.result()).resolves.toMatchObject({ status: 'done', added: 2, members: 2 });
    await record(done.id, 'segment-list-upload-redelivered.json', again.signaledRunId);
    expect(await upload(done.id)).toEqual(done);
  });

  it('processes 50 000 lines in chunks with progress between 0 and the total, counts exact; add and replace', async () => {
    await insertListCustomers(api.t.db, api.demo.programId, 'big-', 45_000);
    // 50 000 lines: customers 1..45 000, every 10th line of the first 50 000 an unknown one instead.
    const lines: string[] = ['identifier'];
    const bad: number[] = [];
    for (let n = 1; n <= 50_000; n += 1) {
      if (n % 10 === 0) {
        lines.push(`nobody-${n}`);
        bad.push(n + 1);
      } else lines.push(`big-${Math.min(n, 45_000 - (n % 7))}`);
    }
    const expected = new Set(lines.slice(1).filter((l) => l.startsWith('big-'))).size;
    const posted = await back('/v1/segment-lists', {
      code: 'big',
      name: 'Big list',
      identifierKind: 'external',
      csv: lines.join('\n'),
    });
    expect(posted.statusCode, posted.body).toBe(202);
    expect(posted.json().rowsTotal).toBe(50_000);
    const { upload: done, seen } = await finished(posted.json().id, 20);
    expect(done).toMatchObject({
      status: 'done',
      rowsDone: 50_000,
      added: expected,
      removed: 0,
      members: expected,
      errorCount: 5_000,
    });
    expect(
      seen.some((n) => n > 0 && n < 50_000),
      `progress seen: ${seen.join(',')}`,
    ).toBe(true);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(done.errors).toHaveLength(1_000);
    expect(done.errors.map((e) => e.line)).toEqual(bad.slice(0, 1_000));
    expect(await count('big')).toBe(expected);
    await record(done.id, 'segment-list-upload-chunks.json');

    // add: 1 000 more customers, 500 of them already in the list.
    const more = Array.from({ length: 1_000 }, (_, i) => `big-${44_001 + i - 500}`);
    const moreExpected = more.filter((v) => !lines.includes(v)).length;
    const added = await back('/v1/segment-lists', {
      code: 'big',
      name: 'Big list',
      identifierKind: 'external',
      mode: 'add',
      csv: more.join('\n'),
    });
    expect(added.statusCode, added.body).toBe(202);
    const { upload: addDone } = await finished(added.json().id);
    expect(addDone).toMatchObject({
      status: 'done',
      added: moreExpected,
      removed: 0,
      members: expected + moreExpected,
      errorCount: 0,
    });

    // replace: the list becomes 3 customers (a line repeated counts once).
    const replaced = await back('/v1/segment-lists', {
      code: 'big',
      name: 'Big list, cut',
      identifierKind: 'external',
      mode: 'replace',
      csv: 'big-1\nbig-2\nbig-45000\nbig-1\n',
    });
    const { upload: replaceDone } = await finished(replaced.json().id);
    const kept = lines.includes('big-45000') ? 3 : 2;
    expect(replaceDone).toMatchObject({
      status: 'done',
      rowsTotal: 4,
      added: 3 - kept,
      removed: expected + moreExpected - kept,
      members: 3,
    });
    expect(await count('big')).toBe(3);
    const list = (await apiGet(api, '/v1/segment-lists'))
      .json()
      .lists.find((l: { code: string }) => l.code === 'big');
    expect(list).toMatchObject({ name: 'Big list, cut', members: 3 });
    // Chunks and staging are gone once applied.
    expect(await api.t.db.selectFrom('segment_list_upload_chunks').select('chunk').execute()).toEqual([]);
    expect(
      await api.t.db.selectFrom('segment_list_upload_customers').select('customer_id').execute(),
    ).toEqual([]);
  }, 180_000);

  it('refuses a malformed CSV or one over 1 000 000 lines with a 422 naming csv, writing nothing', async () => {
    const before = await tableChecksums(api.t.db);
    const malformed = await back('/v1/segment-lists', {
      code: 'broken',
      name: 'Broken',
      identifierKind: 'phone',
      csv: `identifier\n${anna.value}\n"unterminated\n`,
    });
    expect(malformed.statusCode, malformed.body).toBe(422);
    expect(malformed.json().error).toMatchObject({ code: 'csv_invalid', field: 'csv' });
    const tooLong = await back('/v1/segment-lists', {
      code: 'broken',
      name: 'Broken',
      identifierKind: 'external',
      csv: 'x\n'.repeat(1_000_001),
    });
    expect(tooLong.statusCode, tooLong.body).toBe(422);
    expect(tooLong.json().error).toMatchObject({ code: 'csv_too_long', field: 'csv' });
    expect(await tableChecksums(api.t.db)).toEqual(before);
  });

  it('answers 404 for an upload that is not the caller program’s', async () => {
    const r = await apiGet(api, '/v1/segment-lists/uploads/999999');
    expect(r.statusCode).toBe(404);
    expect(r.json().error).toMatchObject({ code: 'list_upload_not_found' });
  });

  it('fails an upload that cannot be processed (its lines are gone), leaving the list as it was', async () => {
    const queued = await api.t.db.transaction().execute(async (trx) => {
      const u = await queueListUpload(trx, {
        programId: api.demo.programId,
        actor: 'test',
        code: 'vip',
        name: 'VIP',
        identifierKind: 'phone',
        mode: 'replace',
        csv: `${anna.value}\n`,
      });
      await trx.deleteFrom('segment_list_upload_chunks').where('upload_id', '=', u.id).execute();
      return u;
    });
    const { upload: failed } = await finished(queued.id);
    expect(failed).toMatchObject({ status: 'failed', added: null, members: null });
    expect(failed.failure).toMatch(/chunks/);
    expect(await count('vip')).toBe(2);
    await waitFor(
      async () => (await listUploadWorkflow(worker, queued.id).describe()).status.name === 'COMPLETED',
      10_000,
      'workflow completed',
    );
    await record(queued.id, 'segment-list-upload-failed.json');
  });
});
