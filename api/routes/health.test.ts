import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { testApi } from '../../test/support/api';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

describe('GET /health', () => {
  it('reports database and Temporal up', async () => {
    const app = await testApi(t.db, inject('temporalAddress'));
    const health = (await app.inject({ method: 'GET', url: '/health' })).json();
    expect(health).toMatchObject({ status: 'ok', database: { ok: true }, temporal: { ok: true } });
    await app.close();
  });

  it('reports Temporal down as degraded, still 200 while the database answers', async () => {
    const app = await testApi(t.db, '127.0.0.1:1');
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      status: 'degraded',
      database: { ok: true },
      temporal: { ok: false },
    });
    await app.close();
  });
});
