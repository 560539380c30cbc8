import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { seedTestProgram } from '../../test/support/program';
import { insertListCustomers } from '../../test/support/segment-lists';
import {
  applyListUpload,
  listUploadChunkRows,
  listUploadQueuedType,
  queueListUpload,
  resolveListUploadChunk,
  startListUpload,
  type ListUploadInput,
} from './lists';

/**
 * The steps of a static list upload as the workflow's activities run them, on real PostgreSQL: each
 * may run twice (a retried activity) without counting anything twice.
 */
describe('static list upload steps', () => {
  let t: TestDatabase;
  let programId: number;
  const now = new Date();

  beforeAll(async () => {
    t = await createTestDatabase();
    programId = (await seedTestProgram(t.db)).programId;
    await insertListCustomers(t.db, programId, 'c-', 30_000);
  });
  afterAll(async () => {
    await t.drop();
  });

  const queue = (input: Partial<ListUploadInput> & { csv: string }) =>
    t.db.transaction().execute((trx) =>
      queueListUpload(trx, {
        programId,
        actor: 'test',
        code: 'retry',
        name: 'Retry',
        identifierKind: 'external',
        mode: 'replace',
        ...input,
      }),
    );
  const row = (id: number) =>
    t.db.selectFrom('segment_list_uploads').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('stores the lines in chunks with one outbox event, and a retried chunk or apply counts nothing twice', async () => {
    const values = Array.from({ length: 25_000 }, (_, i) => (i % 5 === 4 ? `none-${i}` : `c-${i + 1}`));
    const upload = await queue({ csv: values.join('\r\n') });
    expect(upload).toMatchObject({ status: 'queued', rowsTotal: 25_000, rowsDone: 0 });
    const chunks = await t.db
      .selectFrom('segment_list_upload_chunks')
      .select(['chunk', (eb) => eb.fn('cardinality', [eb.ref('lines')]).as('n')])
      .where('upload_id', '=', upload.id)
      .orderBy('chunk')
      .execute();
    expect(chunks).toEqual([
      { chunk: 0, n: listUploadChunkRows },
      { chunk: 1, n: 25_000 - listUploadChunkRows },
    ]);
    const events = await t.db
      .selectFrom('outbox')
      .select('payload')
      .where('type', '=', listUploadQueuedType)
      .execute();
    expect(events).toEqual([{ payload: { uploadId: upload.id, code: 'retry' } }]);

    expect(await startListUpload(t.db, upload.id, now)).toEqual({ status: 'running', chunks: [0, 1] });
    const first = await resolveListUploadChunk(t.db, upload.id, 0, now);
    expect(first).toEqual({ resolved: 16_000, errors: 4_000, skipped: false });
    expect(await resolveListUploadChunk(t.db, upload.id, 0, now)).toEqual({
      resolved: 0,
      errors: 0,
      skipped: true,
    });
    expect(await row(upload.id)).toMatchObject({ status: 'running', rows_done: 20_000, error_count: 4_000 });
    expect((await row(upload.id)).errors).toHaveLength(1_000);
    // A restarted workflow asks again: only the chunk left.
    expect(await startListUpload(t.db, upload.id, now)).toEqual({ status: 'running', chunks: [1] });
    await expect(applyListUpload(t.db, upload.id, now)).rejects.toThrow(/still has lines/);
    await resolveListUploadChunk(t.db, upload.id, 1, now);
    await resolveListUploadChunk(t.db, upload.id, 1, now);
    expect(await row(upload.id)).toMatchObject({ rows_done: 25_000, error_count: 5_000 });

    const applied = await applyListUpload(t.db, upload.id, now);
    expect(applied).toEqual({
      uploadId: upload.id,
      status: 'done',
      rowsTotal: 25_000,
      added: 20_000,
      removed: 0,
      members: 20_000,
      errorCount: 5_000,
    });
    expect(await applyListUpload(t.db, upload.id, now)).toEqual(applied);
    expect(await startListUpload(t.db, upload.id, now)).toEqual({ status: 'done', chunks: [] });
    expect(await resolveListUploadChunk(t.db, upload.id, 0, now)).toMatchObject({ skipped: true });
    const errors = (await row(upload.id)).errors;
    expect(errors[0]).toEqual({ line: 5, value: 'none-4', message: 'no such customer' });
    expect(errors.map((e) => e.line)).toEqual(Array.from({ length: 1_000 }, (_, i) => 5 * (i + 1)));
  });

  it('shows staged uploads to a list only once applied; two applied at once both land', async () => {
    const a = await queue({ code: 'pair', csv: 'c-1\nc-2\nc-3\n', mode: 'add' });
    const b = await queue({ code: 'pair', csv: 'c-3\nc-4\n', mode: 'add' });
    for (const u of [a, b]) {
      await startListUpload(t.db, u.id, now);
      await resolveListUploadChunk(t.db, u.id, 0, now);
    }
    // Staged, not applied: the list is still empty.
    const members = () =>
      t.db
        .selectFrom('segment_list_members as m')
        .innerJoin('segment_lists as l', 'l.id', 'm.list_id')
        .where('l.code', '=', 'pair')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
    expect(Number((await members()).n)).toBe(0);
    const [ra, rb] = await Promise.all([applyListUpload(t.db, a.id, now), applyListUpload(t.db, b.id, now)]);
    expect(ra.added! + rb.added!).toBe(4);
    expect(Number((await members()).n)).toBe(4);
  });
});
