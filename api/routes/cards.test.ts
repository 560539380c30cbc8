import { describe, expect, it } from 'vitest';
import { isLuhnValid } from '../../engine/cards/luhn';
import { useApiFixture } from '../../test/support/api-fixture';
import { ledgerViolations } from '../../test/support/ledger-invariants';

const api = useApiFixture('cards');
const call = (url: string, payload: object, token?: string) =>
  api.call(url, payload, { token: token ?? api.demo.backOfficeApiKey });
let templateId = 0;
let pool: string[] = [];
const at = '2026-07-01T12:00:00+03:00';

describe('cards', () => {
  it('creates a card type, a template and a pool of unique, Luhn-valid, non-sequential numbers', async () => {
    const type = await call('/v1/card-types', {
      code: 'gold',
      name: 'Gold plastic',
      lotPolicy: { lifetimeSeconds: 31_536_000 },
    });
    expect(type.statusCode).toBe(201);
    const template = await call('/v1/card-templates', {
      cardTypeId: type.json().id,
      code: 'gold-2026',
      template: { prefix: '7788', length: 16, luhn: true },
    });
    expect(template.json()).toMatchObject({ maxIssuable: 100_000_000 });
    templateId = template.json().id;
    const issued = await call('/v1/card-pools', { templateId, count: 1_000 });
    expect(issued.statusCode).toBe(201);
    expect(issued.json().inserted).toBe(1_000);
    pool = (
      await api.t.db.selectFrom('cards').select('number').where('status', '=', 'new').orderBy('id').execute()
    ).map((r) => r.number);
    expect(new Set(pool).size).toBe(1_000);
    expect(pool.every((n) => n.startsWith('7788') && n.length === 16 && isLuhnValid(n))).toBe(true);
    const sorted = pool.map(Number).sort((a, b) => a - b);
    const adjacent = sorted.filter((n, i) => i > 0 && n - sorted[i - 1]! < 10).length;
    expect(adjacent).toBe(0);
  });

  it('refuses a template that leaves too few random digits, naming the field', async () => {
    const response = await call('/v1/card-templates', {
      cardTypeId: 1,
      code: 'tiny',
      template: { prefix: '1234567', length: 10 },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.field).toBe('body.template.prefix');
  });

  it('binds a card at registration; operations by card; block needs a reason and stops operations', async () => {
    const card = pool[0]!;
    const registered = await call('/v1/customers', {
      channel: 'operator',
      registeredAt: at,
      card,
      profile: { firstName: 'Ivan' },
    });
    expect(registered.statusCode).toBe(201);
    const byCard = { kind: 'card', value: card };
    expect(
      (await call('/v1/operations/accrue', { customer: byCard, amount: 300, occurredAt: at })).statusCode,
    ).toBe(200);

    const noReason = await call('/v1/cards/status', { card, status: 'blocked', occurredAt: at });
    expect(noReason.statusCode).toBe(422);
    expect(noReason.json().error).toMatchObject({ code: 'reason_required', field: 'reason' });
    expect(
      (await call('/v1/cards/status', { card, status: 'blocked', reason: 'reported stolen', occurredAt: at }))
        .statusCode,
    ).toBe(200);
    const refused = await call('/v1/operations/spend', { customer: byCard, amount: 10, occurredAt: at });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('card_not_active');
    const lookup = await call('/v1/customers/lookup', { customer: byCard, at });
    expect(lookup.json()).toMatchObject({ points: { available: 300 } });
    expect((await call('/v1/customers/history', { customer: byCard })).json().items).toHaveLength(1);
  });

  it('replaces the lost card: the old one closes, balance and history carry over', async () => {
    const [lost, fresh] = [pool[0]!, pool[1]!];
    const replaced = await call('/v1/cards/replace', {
      card: lost,
      newCard: fresh,
      reason: 'lost in the metro',
      occurredAt: at,
    });
    expect(replaced.statusCode).toBe(200);
    const old = await api.t.db
      .selectFrom('cards')
      .selectAll()
      .where('number', '=', lost)
      .executeTakeFirstOrThrow();
    expect(old).toMatchObject({ status: 'closed', replaced_by: replaced.json().newCardId });
    const byNew = { kind: 'card', value: fresh };
    expect((await call('/v1/customers/lookup', { customer: byNew, at })).json().points.available).toBe(300);
    const spent = await call('/v1/operations/spend', { customer: byNew, amount: 50, occurredAt: at });
    expect(spent.json().balance.available).toBe(250);
    const all = (await call('/v1/customers/history', { customer: byNew })).json();
    expect(all.items.map((i: { kind: string }) => i.kind)).toEqual(['spend', 'accrue']);
    const oldCardOnly = (await call('/v1/customers/history', { customer: byNew, card: lost })).json();
    expect(oldCardOnly.items.map((i: { kind: string }) => i.kind)).toEqual(['accrue']);
    const reopen = await call('/v1/cards/status', { card: lost, status: 'active', occurredAt: at });
    expect(reopen.statusCode).toBe(409);
    expect(reopen.json().error.code).toBe('card_transition_not_allowed');
  });

  it('issues a virtual card that works at once, and a till may bind but not block', async () => {
    const virtual = await call(
      '/v1/cards/virtual',
      { customer: { kind: 'card', value: pool[1]! }, templateId, occurredAt: at },
      api.demo.tillApiKey,
    );
    expect(virtual.statusCode).toBe(201);
    const lookup = await call('/v1/customers/lookup', {
      customer: { kind: 'card', value: virtual.json().number },
      at,
    });
    expect(lookup.json().points.available).toBe(250);
    const tillBlock = await call(
      '/v1/cards/status',
      { card: virtual.json().number, status: 'blocked', reason: 'x', occurredAt: at },
      api.demo.tillApiKey,
    );
    expect(tillBlock.statusCode).toBe(403);
    const audit = (await call('/v1/customers/audit', { customer: { kind: 'card', value: pool[1]! } })).json();
    expect(audit.items.map((i: { action: string }) => i.action)).toEqual(
      expect.arrayContaining(['card.replace', 'card.blocked', 'card.bind', 'customer.register']),
    );
    expect(await ledgerViolations(api.t.db)).toEqual([]);
  });

  it('answers binding an unknown number and an issued card alike, so no one can probe for numbers', async () => {
    const customer = { kind: 'card', value: pool[1]! };
    const unknown = '7788' + '0'.repeat(12);
    expect(pool).not.toContain(unknown);
    const answers = [];
    for (const card of [unknown, pool[1]!, pool[0]!]) {
      const bind = await call('/v1/cards/bind', { customer, card, occurredAt: at }, api.demo.tillApiKey);
      answers.push({ status: bind.statusCode, error: bind.json().error });
    }
    expect(answers[0]).toEqual({
      status: 409,
      error: { code: 'card_not_available', message: expect.any(String), field: 'card' },
    });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it('shows a till nothing behind a blocked card; the back office still reads the holder', async () => {
    const card = pool[1]!;
    const blocked = await call('/v1/cards/status', {
      card,
      status: 'blocked',
      reason: 'reported stolen',
      occurredAt: at,
    });
    expect(blocked.statusCode, blocked.body).toBe(200);
    const customer = { kind: 'card', value: card };
    for (const url of ['/v1/customers/lookup', '/v1/customers/history', '/v1/customers/audit']) {
      const till = await call(url, { customer }, api.demo.tillApiKey);
      expect({ url, status: till.statusCode, body: till.json() }).toEqual({
        url,
        status: 409,
        body: {
          error: { code: 'card_not_active', message: 'the card is blocked', field: 'customer' },
          requestId: expect.any(String),
        },
      });
    }
    const agent = await call('/v1/customers/lookup', { customer });
    expect(agent.statusCode, agent.body).toBe(200);
    expect(agent.json()).toMatchObject({ points: { available: 250 } });
  });
});
