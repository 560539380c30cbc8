import { describe, expect, it } from 'vitest';
import { activeRuleSet } from '../../db/promotions/active-rule-set';
import { useApiFixture } from '../../test/support/api-fixture';
import { apiGet } from '../../test/support/api-requests';

const api = useApiFixture('promotions');
const call = (url: string, payload: object, token?: string) =>
  api.call(url, payload, { token: token ?? api.demo.backOfficeApiKey });

const percent = (id: string, bps: number) => ({ id, name: `${id} off`, benefit: { kind: 'percent', bps } });
const earn = (id: string, bps: number) => ({ id, name: `${id} earn`, benefit: { kind: 'earn', bps } });
const active = () => activeRuleSet(api.t.db, api.demo.programId);
const ids = async () => (await active())?.compiled.rules.map((r) => r.id);
const count = async (table: 'promotion_rule_sets' | 'idempotency_keys') =>
  Number(
    (
      await api.t.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('promotion rule sets', () => {
  it('validates without writing anything, naming the failing place', async () => {
    const keys = await count('idempotency_keys');
    const ok = await api.app.inject({
      method: 'POST',
      url: '/v1/promotions/rule-sets/validate',
      headers: { authorization: `Bearer ${api.demo.backOfficeApiKey}` },
      payload: { rules: [percent('milk', 1000), earn('base', 500)] },
    });
    expect(ok.json()).toEqual({ valid: true, ruleCount: 2 });
    const bad = await api.app.inject({
      method: 'POST',
      url: '/v1/promotions/rule-sets/validate',
      headers: { authorization: `Bearer ${api.demo.backOfficeApiKey}` },
      payload: { rules: [percent('milk', 1000), percent('bread', 10_001)] },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error).toMatchObject({ code: 'invalid_rule', field: 'rules.1.benefit.bps' });
    expect(await count('promotion_rule_sets')).toBe(0);
    expect(await count('idempotency_keys')).toBe(keys);
  });

  it('creates drafts as numbered versions and refuses an invalid one, writing nothing', async () => {
    const invalid = await call('/v1/promotions/rule-sets', {
      rules: [
        percent('a', 500),
        percent('b', 500),
        percent('c', 500),
        { ...percent('d', 1), benefit: { kind: 'percent', bps: -5 } },
      ],
    });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json().error.field).toBe('rules.3.benefit.bps');
    const twice = await call('/v1/promotions/rule-sets', { rules: [percent('a', 500), percent('a', 700)] });
    expect(twice.statusCode).toBe(422);
    expect(twice.json().error.code).toBe('invalid_rule_set');
    expect(await count('promotion_rule_sets')).toBe(0);

    const v1 = await call('/v1/promotions/rule-sets', { rules: [percent('milk', 1000)], note: 'spring' });
    expect(v1.statusCode).toBe(201);
    expect(v1.json()).toMatchObject({
      version: 1,
      status: 'draft',
      ruleCount: 1,
      note: 'spring',
      publishedAt: null,
    });
    const v2 = await call('/v1/promotions/rule-sets', { rules: [percent('milk', 1500), earn('base', 500)] });
    expect(v2.json()).toMatchObject({ version: 2, status: 'draft', ruleCount: 2 });
    expect((await call('/v1/promotions/rule-sets', { rules: [] }, api.demo.tillApiKey)).statusCode).toBe(403);
  });

  it('publishes atomically: activeRuleSet swaps to the new snapshot, compiled once and shared', async () => {
    expect(await active()).toBeUndefined();
    const first = await call('/v1/promotions/rule-sets/publish', { version: 1 });
    expect(first.json()).toEqual({ version: 1, previousVersion: null });
    const [a, b] = await Promise.all([active(), active()]);
    expect(a).toBe(b);
    expect(a?.version).toBe(1);
    expect(await ids()).toEqual(['milk']);
    expect(await active()).toBe(a);

    const second = await call('/v1/promotions/rule-sets/publish', { version: 2 });
    expect(second.json()).toEqual({ version: 2, previousVersion: 1 });
    const swapped = await active();
    expect(swapped).not.toBe(a);
    expect(swapped?.version).toBe(2);
    expect(await ids()).toEqual(['base', 'milk']);
    const statuses = await api.t.db
      .selectFrom('promotion_rule_sets')
      .select(['version', 'status'])
      .orderBy('version')
      .execute();
    expect(statuses).toEqual([
      { version: 1, status: 'archived' },
      { version: 2, status: 'published' },
    ]);
    const again = await call('/v1/promotions/rule-sets/publish', { version: 2 });
    expect(again.statusCode).toBe(409);
    const missing = await call('/v1/promotions/rule-sets/publish', { version: 99 });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.field).toBe('version');
  });

  it('never makes an invalid rule set active, even one written around the API', async () => {
    await api.t.db
      .insertInto('promotion_rule_sets')
      .values({
        program_id: api.demo.programId,
        version: 3,
        rules: JSON.stringify([percent('broken', 50_000)]),
        created_by: 'test',
      })
      .execute();
    const refused = await call('/v1/promotions/rule-sets/publish', { version: 3 });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.field).toBe('rules.0.benefit.bps');
    expect((await active())?.version).toBe(2);
    const row = await api.t.db
      .selectFrom('promotion_rule_sets')
      .select('status')
      .where('version', '=', 3)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('draft');
    await expect(
      api.t.db
        .updateTable('promotion_rule_sets')
        .set({ status: 'published' })
        .where('version', '=', 1)
        .execute(),
    ).rejects.toThrow(/promotion_rule_sets_one_published/);
  });

  it('unpublishes, then publishes an archived set again as a rollback', async () => {
    const wrong = await call('/v1/promotions/rule-sets/unpublish', { version: 1 });
    expect(wrong.statusCode).toBe(409);
    expect(wrong.json().error).toMatchObject({ code: 'rule_set_not_published', field: 'version' });
    const off = await call('/v1/promotions/rule-sets/unpublish', { version: 2 });
    expect(off.json()).toMatchObject({ version: 2, status: 'archived' });
    expect(await active()).toBeUndefined();
    const rollback = await call('/v1/promotions/rule-sets/publish', { version: 1 });
    expect(rollback.json()).toEqual({ version: 1, previousVersion: null });
    expect(await ids()).toEqual(['milk']);
    const audit = await api.t.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', 'like', 'promotions.%')
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      'promotions.rule-set.create',
      'promotions.rule-set.create',
      'promotions.rule-set.publish',
      'promotions.rule-set.publish',
      'promotions.rule-set.unpublish',
      'promotions.rule-set.publish',
    ]);
  });

  it('serialises concurrent publishes: one set ends published and the program points at it', async () => {
    const drafts = await Promise.all(
      [4, 5].map(() => call('/v1/promotions/rule-sets', { rules: [percent('race', 100)] })),
    );
    const versions = drafts.map((d) => d.json().version as number).sort();
    expect(versions).toEqual([4, 5]);
    const published = await Promise.all(
      versions.map((version) => call('/v1/promotions/rule-sets/publish', { version })),
    );
    expect(published.map((p) => p.statusCode)).toEqual([200, 200]);
    const rows = await api.t.db
      .selectFrom('promotion_rule_sets')
      .select(['id', 'version'])
      .where('status', '=', 'published')
      .execute();
    expect(rows).toHaveLength(1);
    const program = await api.t.db
      .selectFrom('programs')
      .select('active_rule_set_id')
      .where('id', '=', api.demo.programId)
      .executeTakeFirstOrThrow();
    expect(program.active_rule_set_id).toBe(rows[0]!.id);
    expect((await active())?.version).toBe(rows[0]!.version);
    expect((await call('/v1/promotions/rule-sets/publish', { version: 1 })).statusCode).toBe(200);
  });

  it('does not cache a set that fails to load', async () => {
    const pointAt = async (version: number) => {
      const row = await api.t.db
        .selectFrom('promotion_rule_sets')
        .select('id')
        .where('version', '=', version)
        .executeTakeFirstOrThrow();
      await api.t.db
        .updateTable('programs')
        .set({ active_rule_set_id: row.id })
        .where('id', '=', api.demo.programId)
        .execute();
    };
    await pointAt(3);
    await expect(active()).rejects.toMatchObject({ code: 'invalid_rule', field: 'rules.0.benefit.bps' });
    await expect(active()).rejects.toMatchObject({ code: 'invalid_rule' });
    await pointAt(1);
    expect(await ids()).toEqual(['milk']);
  });

  it('lists rule sets newest first, by status, and answers one with its rules', async () => {
    const all = (await apiGet(api, '/v1/promotions/rule-sets')).json().items;
    expect(all.map((s: { version: number; status: string }) => [s.version, s.status])).toEqual([
      [5, 'archived'],
      [4, 'archived'],
      [3, 'draft'],
      [2, 'archived'],
      [1, 'published'],
    ]);
    const published = (await apiGet(api, '/v1/promotions/rule-sets?status=published')).json().items;
    expect(published).toHaveLength(1);
    expect((await apiGet(api, '/v1/promotions/rule-sets?status=bogus')).statusCode).toBe(400);
    const one = await apiGet(api, '/v1/promotions/rule-sets/2');
    expect(one.json()).toMatchObject({
      version: 2,
      ruleCount: 2,
      rules: [percent('milk', 1500), earn('base', 500)],
    });
    expect((await apiGet(api, '/v1/promotions/rule-sets/42')).statusCode).toBe(404);
    expect((await apiGet(api, '/v1/promotions/rule-sets/x')).statusCode).toBe(400);
  });
});
