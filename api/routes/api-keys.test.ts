import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { buildApiServer } from '../server';
import { createStaffUser } from '../../db/staff-users';
import { roleScopes } from '../../engine/contracts/api-keys';
import { testMessaging, testSecret } from '../../test/support/messages';
import { useApiFixture } from '../../test/support/api-fixture';
import { apiGet } from '../../test/support/api-requests';
import { waitFor } from '../../test/support/wait';

const api = useApiFixture('api-keys');
const call = (url: string, payload: object, options: { token?: string; key?: string } = {}) =>
  api.call(url, payload, { token: options.token ?? api.demo.backOfficeApiKey, key: options.key });

async function storeIds(): Promise<{ partnerId: number; storeId: number }> {
  const store = await api.t.db
    .selectFrom('stores')
    .select(['id', 'partner_id'])
    .where('code', '=', 'ekb-01')
    .executeTakeFirstOrThrow();
  return { partnerId: store.partner_id, storeId: store.id };
}

/** A customers:read call of the key: the lookup of the customer the first test registers. */
function probe(token: string) {
  return api.app.inject({
    method: 'POST',
    url: '/v1/customers/lookup',
    headers: { authorization: `Bearer ${token}` },
    payload: { customer: { kind: 'phone', value: '+79990000001' } },
  });
}

async function createKey(body: object, token?: string): Promise<{ id: number; token: string }> {
  const created = await call('/v1/api-keys', body, { token });
  expect(created.statusCode, created.body).toBe(201);
  return { id: created.json().key.id, token: created.json().token };
}

describe('creating and listing keys', () => {
  it('creates a store key whose token is shown once and works at once, with its partner filled in', async () => {
    const { partnerId, storeId } = await storeIds();
    const created = await call('/v1/api-keys', {
      label: 'Till 2, Yekaterinburg',
      storeId,
      scopes: ['customers:read', 'customers:write', 'customers:read'],
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const { key, token } = created.json();
    expect(token).toMatch(/^lf_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{32}$/);
    expect(key).toMatchObject({
      label: 'Till 2, Yekaterinburg',
      partnerId,
      storeId,
      staffUserId: null,
      role: null,
      scopes: ['customers:read', 'customers:write'],
      rateLimit: { perMinute: 3000, burst: 100 },
      clientCertificateSha256: null,
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(token.startsWith(`lf_${key.prefix}_`)).toBe(true);
    const stored = await api.t.db
      .selectFrom('api_keys')
      .select('secret_hash')
      .where('id', '=', key.id)
      .executeTakeFirstOrThrow();
    expect(stored.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.secret_hash).not.toContain(token.slice(12));

    const used = await api.call(
      '/v1/customers',
      { phone: '+79990000001', channel: 'till', registeredAt: '2026-11-25T10:00:00+03:00' },
      { token },
    );
    expect(used.statusCode, used.body).toBe(201);
    expect((await apiGet(api, '/v1/api-keys', token)).statusCode).toBe(403);
    const listed = await waitFor(async () => {
      const items = (await apiGet(api, `/v1/api-keys?storeId=${storeId}`)).json().items;
      return items[0]?.lastUsedAt ? items : undefined;
    });
    expect(listed).toHaveLength(1);
  });

  it('answers a replay without the token and keeps no token at rest', async () => {
    const body = { label: 'Replayed', scopes: ['customers:read'] };
    const first = await call('/v1/api-keys', body, { key: 'api-keys-replay-01' });
    const replay = await call('/v1/api-keys', body, { key: 'api-keys-replay-01' });
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual({ key: first.json().key });
    const kept = await api.t.db.selectFrom('idempotency_keys').select('response').execute();
    expect(JSON.stringify(kept)).not.toContain(first.json().token);
  });

  it('lists keys without secrets, filtered by holder and by revocation', async () => {
    const { partnerId } = await storeIds();
    await createKey({ label: 'Partner integration', partnerId, scopes: ['catalogue:read'] });
    const all = await apiGet(api, '/v1/api-keys');
    expect(all.statusCode).toBe(200);
    const items = all.json().items;
    expect(items[0]).toMatchObject({ label: 'Partner integration', partnerId, storeId: null });
    expect(JSON.stringify(items)).not.toMatch(/secret|token|hash/i);
    expect(items.map((k: { label: string }) => k.label)).toEqual(
      expect.arrayContaining(['Demo till, Moscow store', 'Demo back office']),
    );
    const byPartner = (await apiGet(api, `/v1/api-keys?partnerId=${partnerId}&revoked=false`)).json().items;
    expect(byPartner.every((k: { partnerId: number }) => k.partnerId === partnerId)).toBe(true);
    expect((await apiGet(api, '/v1/api-keys?revoked=maybe')).json().error.field).toBe('querystring.revoked');
  });

  it('refuses bad holders and scopes, naming the field', async () => {
    const { storeId } = await storeIds();
    const cases: [object, number, string][] = [
      [{ label: 'x' }, 400, 'body.scopes'],
      [{ label: 'x', scopes: ['customers:fly'] }, 400, 'body.scopes.0'],
      [{ label: 'x', scopes: [] }, 400, 'body.scopes'],
      [{ label: 'x', staffUserId: api.demo.adminStaffId, scopes: ['customers:read'] }, 400, 'body.scopes'],
      [{ label: 'x', storeId: 999_999, scopes: ['customers:read'] }, 404, 'storeId'],
      [{ label: 'x', partnerId: 999_999, scopes: ['customers:read'] }, 404, 'partnerId'],
      [{ label: 'x', staffUserId: 999_999 }, 404, 'staffUserId'],
      [
        { label: 'x', scopes: ['customers:read'], rateLimit: { perMinute: 0, burst: 1 } },
        400,
        'body.rateLimit.perMinute',
      ],
      [
        { label: 'x', scopes: ['customers:read'], clientCertificateSha256: 'abc' },
        400,
        'body.clientCertificateSha256',
      ],
    ];
    for (const [body, status, field] of cases) {
      const refused = await call('/v1/api-keys', body);
      expect(refused.statusCode, JSON.stringify(body)).toBe(status);
      expect(refused.json().error.field, JSON.stringify(body)).toBe(field);
    }
    const otherPartner = await call('/v1/partners', { code: 'other-co', name: 'Other Co' });
    const mismatch = await call('/v1/api-keys', {
      label: 'x',
      partnerId: otherPartner.json().id,
      storeId,
      scopes: ['customers:read'],
    });
    expect(mismatch.json().error).toMatchObject({ code: 'store_not_of_partner', field: 'storeId' });
  });

  it('lets a manager grant and manage only scopes it holds itself', async () => {
    const manager = await createKey({ label: 'Key desk', scopes: ['keys:manage', 'customers:read'] });
    await createKey({ label: 'Reader', scopes: ['customers:read'] }, manager.token);
    const wider = await call(
      '/v1/api-keys',
      { label: 'Wider', scopes: ['customers:read', 'operations:adjust'] },
      { token: manager.token },
    );
    expect(wider.statusCode).toBe(403);
    expect(wider.json().error).toMatchObject({ code: 'scope_not_held', field: 'scopes.1' });
    const admin = await call(
      '/v1/api-keys',
      { label: 'Admin', staffUserId: api.demo.adminStaffId },
      { token: manager.token },
    );
    expect(admin.json().error).toMatchObject({ code: 'scope_not_held', field: 'staffUserId' });
    const demoTill = await api.t.db
      .selectFrom('api_keys')
      .select('id')
      .where('label', '=', 'Demo till, Moscow store')
      .executeTakeFirstOrThrow();
    const rotateTill = await call('/v1/api-keys/rotate', { apiKeyId: demoTill.id }, { token: manager.token });
    expect(rotateTill.json().error).toMatchObject({ code: 'scope_not_held', field: 'apiKeyId' });
  });
});

describe('revoking, rotating and changing keys', () => {
  it('revokes a key: its next call is refused, a second revocation is a conflict', async () => {
    const key = await createKey({ label: 'To revoke', scopes: ['customers:read'] });
    expect((await probe(key.token)).statusCode).toBe(200);
    const revoked = await call('/v1/api-keys/revoke', { apiKeyId: key.id });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().revokedAt).not.toBeNull();
    const refused = await probe(key.token);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error).toMatchObject({ code: 'unauthenticated', field: 'headers.authorization' });
    const again = await call('/v1/api-keys/revoke', { apiKeyId: key.id });
    expect(again.json().error).toMatchObject({ code: 'api_key_revoked', field: 'apiKeyId' });
    expect((await call('/v1/api-keys/revoke', { apiKeyId: 999_999 })).statusCode).toBe(404);
    const revokedList = (await apiGet(api, '/v1/api-keys?revoked=true')).json().items;
    expect(revokedList.map((k: { id: number }) => k.id)).toContain(key.id);
  });

  it('rotates a key: a new token with the same holder and limits, the old one refused', async () => {
    const { storeId } = await storeIds();
    const old = await createKey({
      label: 'Till 3',
      storeId,
      scopes: ['customers:read'],
      rateLimit: { perMinute: 600, burst: 20 },
    });
    const rotated = await call('/v1/api-keys/rotate', { apiKeyId: old.id });
    expect(rotated.statusCode).toBe(200);
    const { key, token } = rotated.json();
    expect(key).toMatchObject({
      label: 'Till 3',
      storeId,
      scopes: ['customers:read'],
      rateLimit: { perMinute: 600, burst: 20 },
      replacesId: old.id,
      revokedAt: null,
    });
    expect(token).not.toBe(old.token);
    expect((await probe(old.token)).statusCode).toBe(401);
    expect((await probe(token)).statusCode).toBe(200);
    const twice = await call('/v1/api-keys/rotate', { apiKeyId: old.id });
    expect(twice.json().error.code).toBe('api_key_revoked');
    const audit = await api.t.db
      .selectFrom('audit_log')
      .select(['action', 'changes'])
      .where('subject', '=', `api-key:${key.id}`)
      .execute();
    expect(audit).toEqual([{ action: 'api_key.rotate', changes: { replaces: old.id } }]);
  });

  it('changes a label, a rate limit and a certificate requirement, auditing the change', async () => {
    const key = await createKey({ label: 'Kiosk', scopes: ['customers:read'] });
    const fingerprint = 'AB:'.repeat(31) + 'CD';
    const changed = await call('/v1/api-keys/update', {
      apiKeyId: key.id,
      label: 'Kiosk 1',
      rateLimit: { perMinute: 120, burst: 5 },
      clientCertificateSha256: fingerprint,
    });
    expect(changed.json()).toMatchObject({
      label: 'Kiosk 1',
      rateLimit: { perMinute: 120, burst: 5 },
      clientCertificateSha256: 'ab'.repeat(31) + 'cd',
    });
    const noCert = await probe(key.token);
    expect(noCert.statusCode).toBe(401);
    expect(noCert.json().error).toMatchObject({
      code: 'client_certificate_required',
      field: 'headers.authorization',
    });
    const lifted = await call('/v1/api-keys/update', { apiKeyId: key.id, clientCertificateSha256: null });
    expect(lifted.json().clientCertificateSha256).toBeNull();
    expect((await probe(key.token)).statusCode).toBe(200);
    expect((await call('/v1/api-keys/update', { apiKeyId: key.id })).json().error.field).toBe('body.label');
    const audit = await api.t.db
      .selectFrom('audit_log')
      .select(['action', 'actor', 'changes'])
      .where('subject', '=', `api-key:${key.id}`)
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['api_key.create', 'api_key.update', 'api_key.update']);
    expect(audit[1]!.changes).toMatchObject({ label: { from: 'Kiosk', to: 'Kiosk 1' } });
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After and the documented error once the burst is spent', async () => {
    const key = await createKey({
      label: 'Slow',
      scopes: ['customers:read'],
      rateLimit: { perMinute: 6, burst: 2 },
    });
    expect((await probe(key.token)).statusCode).toBe(200);
    expect((await probe(key.token)).statusCode).toBe(200);
    const limited = await probe(key.token);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('10');
    expect(limited.json()).toMatchObject({
      error: { code: 'rate_limited', field: 'headers.authorization' },
      requestId: expect.any(String),
    });
    expect(limited.json().error.message).toMatch(/rate limit/);
    expect((await probe(api.demo.tillApiKey)).statusCode).toBe(200);
  });
});

describe('staff keys', () => {
  it("gives a staff key its role's scopes and attributes its calls to the staff user", async () => {
    const agentId = await createStaffUser(api.t.db, {
      programId: api.demo.programId,
      login: 'agent-1',
      password: 'agent-password-1',
      role: 'agent',
    });
    const created = await call('/v1/api-keys', { label: 'Agent desk', staffUserId: agentId });
    expect(created.json().key).toMatchObject({
      staffUserId: agentId,
      role: 'agent',
      partnerId: null,
      scopes: [...roleScopes.agent],
    });
    const agent = created.json().token;
    const customer = await api.call(
      '/v1/customers',
      { phone: '+79990000002', channel: 'operator', registeredAt: '2026-11-25T10:00:00+03:00' },
      { token: agent },
    );
    expect(customer.statusCode, customer.body).toBe(201);
    const audit = await api.t.db
      .selectFrom('audit_log')
      .select('actor')
      .where('subject', '=', `customer:${customer.json().customerId}`)
      .execute();
    expect(audit.map((a) => a.actor)).toContain(`staff:${agentId}`);
    expect((await call('/v1/partners', { code: 'agent-co', name: 'x' }, { token: agent })).statusCode).toBe(
      403,
    );

    const otherStaff = await call(
      '/v1/operations/adjust',
      {
        customer: { kind: 'phone', value: '+79990000002' },
        amount: 10,
        occurredAt: '2026-11-25T10:00:00+03:00',
        reason: 'goodwill',
        staffId: api.demo.adminStaffId,
      },
      { token: agent },
    );
    expect(otherStaff.json().error).toMatchObject({ code: 'staff_mismatch', field: 'staffId' });

    await api.t.db.updateTable('staff_users').set({ role: 'analyst' }).where('id', '=', agentId).execute();
    await api.changesSeen();
    const demoted = await api.call(
      '/v1/customers',
      { phone: '+79990000003', channel: 'operator', registeredAt: '2026-11-25T10:00:00+03:00' },
      { token: agent },
    );
    expect(demoted.statusCode).toBe(403);
  });

  it("records an admin's management calls as the admin's", async () => {
    const admin = await createKey({ label: 'Admin console', staffUserId: api.demo.adminStaffId });
    const partner = await call(
      '/v1/partners',
      { code: 'admin-co', name: 'Admin Co' },
      { token: admin.token },
    );
    expect(partner.statusCode).toBe(201);
    const audit = await api.t.db
      .selectFrom('audit_log')
      .select('actor')
      .where('subject', '=', `partner:${partner.json().id}`)
      .executeTakeFirstOrThrow();
    expect(audit.actor).toBe(`staff:${api.demo.adminStaffId}`);
  });
});

describe('logs', () => {
  it('names the key, its store and its staff user on every line of a call', async () => {
    const lines: string[] = [];
    const app = await buildApiServer({
      db: api.t.db,
      log: pino({ level: 'debug' }, { write: (line: string) => lines.push(line) }),
      temporalAddress: '127.0.0.1:1',
      secret: testSecret,
      messaging: testMessaging,
      webUrl: 'http://web.test',
    });
    try {
      const staff = await createKey({ label: 'Logged admin', staffUserId: api.demo.adminStaffId });
      const answer = await app.inject({
        method: 'GET',
        url: '/v1/api-keys',
        headers: { authorization: `Bearer ${staff.token}` },
      });
      expect(answer.statusCode).toBe(200);
      const completed = lines
        .map((line) => JSON.parse(line))
        .find(
          (entry) => entry.msg === 'request completed' && entry.requestId === answer.headers['x-request-id'],
        );
      expect(completed).toMatchObject({
        apiKeyId: staff.id,
        storeId: null,
        staffUserId: api.demo.adminStaffId,
      });
    } finally {
      await app.close();
    }
  });
});

describe('the reference', () => {
  it('documents the key endpoints', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/api-keys',
        '/v1/api-keys/revoke',
        '/v1/api-keys/rotate',
        '/v1/api-keys/update',
      ]),
    );
  });
});

describe("a partner's key", () => {
  it('manages only its own partner’s keys and makes no staff keys', async () => {
    const { partnerId } = await storeIds();
    const other = await call('/v1/partners', { code: 'other-partner', name: 'Other' });
    expect(other.statusCode, other.body).toBe(201);
    const foreign = await createKey({
      label: 'other till',
      partnerId: other.json().id,
      scopes: ['customers:read'],
    });
    const manager = await createKey({
      label: 'partner admin',
      partnerId,
      scopes: ['keys:manage', 'customers:read'],
    });
    const own = await createKey({ label: 'own till', scopes: ['customers:read'] }, manager.token);
    const listed = await apiGet(api, '/v1/api-keys', manager.token);
    const ids = listed.json().items.map((k: { id: number }) => k.id);
    expect(ids).toContain(own.id);
    expect(ids).not.toContain(foreign.id);
    expect(listed.json().items.every((k: { partnerId: number }) => k.partnerId === partnerId)).toBe(true);
    const revokeForeign = await call(
      '/v1/api-keys/revoke',
      { apiKeyId: foreign.id },
      { token: manager.token },
    );
    expect(revokeForeign.statusCode).toBe(404);
    const forOther = await call(
      '/v1/api-keys',
      { label: 'x', partnerId: other.json().id, scopes: ['customers:read'] },
      { token: manager.token },
    );
    expect(forOther.json().error).toMatchObject({ code: 'partner_key', field: 'partnerId' });
    const staff = await call(
      '/v1/api-keys',
      { label: 'x', staffUserId: api.demo.adminStaffId },
      { token: manager.token },
    );
    expect(staff.json().error).toMatchObject({ code: 'partner_key', field: 'staffUserId' });
  });
});
