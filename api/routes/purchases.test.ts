import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../test/support/ledger-invariants';
import { anna, at, boris, bread, milk, usePurchaseProgram } from '../../test/support/purchase-program';

const { api, backOffice, nextRef, later, confirm } = usePurchaseProgram('purchases');

const balanceOf = async (customer: object) =>
  (await api.call('/v1/customers/lookup', { customer, at: '2026-12-31T00:00:00Z' })).json().points
    .available as number;

describe('the purchase flow at the till', () => {
  it('calculates without writing anything, for a customer or an anonymous check', async () => {
    const calc = await api.call('/v1/purchases/calculate', {
      customer: anna,
      occurredAt: at,
      lines: [milk, bread],
    });
    expect(calc.statusCode, calc.body).toBe(200);
    const body = calc.json();
    expect(body.purchaseId).toBeNull();
    expect(body.result.discount).toBe(10_000 + 1000);
    expect(body.result.lines[0].units.map((u: { finalPrice: number }) => u.finalPrice)).toEqual([
      10_000, 10_000, 10_000, 0,
    ]);
    expect(body.result.totalPoints).toBe(1700);
    expect(body.receipt[0]).toBe('Скидка по акциям: 110.00');
    const anonymous = await api.call('/v1/purchases/calculate', { occurredAt: at, lines: [milk] });
    expect(anonymous.json()).toMatchObject({ customer: null, result: { discount: 10_000, totalPoints: 0 } });
    const { n } = await api.t.db
      .selectFrom('purchases')
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirstOrThrow();
    expect(n).toBe(0);
  });

  it('confirms once per Idempotency-Key and once per till check, earning points and counting purchases', async () => {
    const body = {
      customer: anna,
      occurredAt: at,
      externalRef: 'till-42',
      lines: [milk],
      payments: [{ type: 'card', amount: 30_000 }],
    };
    const first = await api.call('/v1/purchases/confirm', body, { key: 'confirm-42' });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json().customer).toMatchObject({ tier: 'base', balance: 1500 });
    const retried = await api.call('/v1/purchases/confirm', body, { key: 'confirm-42' });
    expect(retried.statusCode).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect(retried.json().purchaseId).toBe(first.json().purchaseId);
    const again = await api.call('/v1/purchases/confirm', body, { key: 'confirm-42-bis' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'purchase_exists', field: 'externalRef' });
    const wrongPayments = await confirm(anna, { payments: [{ type: 'cash', amount: 1 }] });
    expect(wrongPayments.statusCode).toBe(422);
    expect(wrongPayments.json().error.field).toBe('payments');
    // The second purchase gets the bonus of the rule that reads the purchase counter.
    const second = await confirm(anna);
    expect(second.statusCode, second.body).toBe(201);
    expect(second.json().result.points.map((p: { ruleId: string }) => p.ruleId)).toEqual(['base', 'second']);
    expect(await balanceOf(anna)).toBe(1500 + 1500 + 77);
  });

  it('pays with points up to the cap and the balance and refuses more, naming the field', async () => {
    // 4 for 3 leaves 300.00 to pay; at most half of it with points, and no more than the balance.
    const overCap = await confirm(anna, { spendPoints: 15_001 });
    expect(overCap.statusCode).toBe(422);
    expect(overCap.json().error).toMatchObject({ code: 'redemption_over_cap', field: 'spendPoints' });
    const over = await confirm(anna, { spendPoints: 3078 });
    expect(over.statusCode).toBe(409);
    expect(over.json().error).toMatchObject({ code: 'insufficient_points', field: 'spendPoints' });
    const paid = await confirm(anna, { spendPoints: 1500, payments: [{ type: 'card', amount: 28_500 }] });
    expect(paid.statusCode, paid.body).toBe(201);
    const r = paid.json().result;
    expect(r.redemption).toMatchObject({ spentPoints: 1500, spentAmount: 1500, maxPoints: 3077 });
    expect(r.payable).toBe(28_500);
    // No points are earned on the part paid with points.
    expect(r.totalPoints).toBe(1425);
  });

  it('a promotion limit used up by another till answers 409 budget_exhausted or is not applied', async () => {
    const [a, b] = await Promise.all([confirm(boris, { lines: [bread] }), confirm(anna, { lines: [bread] })]);
    const results = [a, b];
    const gotIt = results.filter((r) => r.statusCode === 201 && r.json().result.discount === 1000);
    expect(gotIt.length).toBeLessThanOrEqual(1);
    for (const r of results) {
      if (r.statusCode === 409)
        expect(r.json().error).toMatchObject({ code: 'budget_exhausted', field: 'once' });
      else expect(r.statusCode).toBe(201);
    }
    const usage = await api.t.db
      .selectFrom('promotion_usage')
      .select(['uses'])
      .where('rule_id', '=', 'once')
      .where('customer_id', '=', 0)
      .executeTakeFirstOrThrow();
    expect(usage.uses).toBe(1);
  });

  it('returns items in parts, reversing exactly the stored points, then cancels the rest', async () => {
    const before = await balanceOf(boris);
    const bought = await confirm(boris, { lines: [milk, { ...bread, quantity: 2 }] });
    expect(bought.statusCode, bought.body).toBe(201);
    const purchaseId = bought.json().purchaseId;
    const earned = bought.json().result.totalPoints;
    const ret = (returnRef: string, items: object[]) =>
      api.call('/v1/purchases/returns', { purchaseId, returnRef, occurredAt: later(), items });
    const first = await ret('r1', [{ line: 0, quantity: 1 }]);
    expect(first.statusCode, first.body).toBe(201);
    // The first milk unit was paid 100.00 and earned its stored share of each rule's points.
    const unitPoints = bought
      .json()
      .result.lines[0].units[0].points.reduce((sum: number, p: { points: number }) => sum + p.points, 0);
    expect(unitPoints).toBeGreaterThanOrEqual(500);
    expect(first.json(), first.body).toMatchObject({ refund: 10_000, pointsTakenBack: unitPoints, debt: 0 });
    const dup = await ret('r1', [{ line: 0, quantity: 1 }]);
    expect(dup.statusCode).toBe(409);
    const tooMany = await ret('r2', [{ line: 1, quantity: 3 }]);
    expect(tooMany.statusCode).toBe(409);
    expect(tooMany.json().error.field).toBe('items.0.quantity');
    const cancel = await api.call('/v1/purchases/cancel', { purchaseId, occurredAt: later() });
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect(cancel.json().pointsTakenBack).toBe(earned - unitPoints);
    expect(await balanceOf(boris)).toBe(before);
    const twice = await api.call('/v1/purchases/cancel', { purchaseId, occurredAt: later() });
    expect(twice.statusCode).toBe(409);
    const afterCancel = await ret('r3', [{ line: 1, quantity: 1 }]);
    expect(afterCancel.json().error.code).toBe('purchase_cancelled');
  });

  it('upgrades the tier on purchase; a later return reverses what was earned then, not at the new rate', async () => {
    const big = await confirm(boris, { lines: [{ sku: 'TV', unitPrice: 60_000, quantity: 2 }] });
    expect(big.statusCode, big.body).toBe(201);
    expect(big.json().customer.tier).toBe('gold');
    // Earned at the base rate (the upgrade comes with this purchase), plus the second-purchase bonus
    // when the budget race above left Boris one purchase.
    const bonus = big.json().result.totalPoints - 6000;
    expect([0, 77]).toContain(bonus);
    const unitPoints = big
      .json()
      .result.lines[0].units[0].points.reduce((sum: number, p: { points: number }) => sum + p.points, 0);
    const ret = await api.call('/v1/purchases/returns', {
      purchaseId: big.json().purchaseId,
      returnRef: 'tv-back',
      occurredAt: later(),
      items: [{ line: 0, quantity: 1 }],
    });
    expect(ret.statusCode, ret.body).toBe(201);
    expect(ret.json()).toMatchObject({
      refund: 60_000,
      pointsTakenBack: unitPoints,
      customer: { tier: 'base' },
    });
    expect(unitPoints).toBe(3000 + Math.ceil(bonus / 2));
  });

  it('six tills spending one customer’s points at once: exactly the two the balance covers succeed, four are refused insufficient_points', async () => {
    const carol = { kind: 'phone', value: '+79161110003' } as const;
    const registered = await api.call('/v1/customers', {
      channel: 'till',
      registeredAt: at,
      phone: carol.value,
    });
    expect(registered.statusCode, registered.body).toBe(201);
    // Two spends of 50.00 (the cap: half of a 100.00 check) and 1.00 over; what a spend earns
    // (5 % of the 50.00 paid in money, 77 for a second purchase) never makes up a third.
    const spend = 5000;
    const accrued = await api.call('/v1/operations/accrue', {
      customer: carol,
      amount: 2 * spend + 100,
      occurredAt: later(),
    });
    expect(accrued.statusCode, accrued.body).toBe(200);
    const tea = { sku: 'TEA', unitPrice: 10_000, quantity: 1 };
    const attempts = await Promise.all(
      Array.from({ length: 6 }, () => confirm(carol, { lines: [tea], spendPoints: spend })),
    );
    const ok = attempts.filter((r) => r.statusCode === 201);
    const refused = attempts.filter((r) => r.statusCode !== 201);
    expect(ok, attempts.map((r) => r.body).join('\n')).toHaveLength(2);
    for (const r of refused) {
      expect(r.statusCode, r.body).toBe(409);
      expect(r.json().error).toMatchObject({ code: 'insufficient_points', field: 'spendPoints' });
    }
    const earned = ok.reduce((sum, r) => sum + (r.json().result.totalPoints as number), 0);
    expect(await balanceOf(carol)).toBe(100 + earned);
    expect(await ledgerViolations(api.t.db)).toEqual([]);
  });

  it('lets go of a held coupon the confirmed check no longer presents', async () => {
    const issued = await backOffice('/v1/coupons/issue', {
      customer: anna,
      issueCode: 'spring',
      occurredAt: later(),
    });
    const code = issued.json().code as string;
    const externalRef = nextRef();
    const body = { customer: anna, occurredAt: later(), lines: [bread] };
    const held = await api.call('/v1/purchases/calculate', { ...body, coupons: [code], externalRef });
    expect(held.json().result.coupons.consumed).toHaveLength(1);
    const confirmed = await api.call('/v1/purchases/confirm', { ...body, externalRef });
    expect(confirmed.statusCode, confirmed.body).toBe(201);
    expect(confirmed.json().result.coupons.consumed).toEqual([]);
    const next = await api.call('/v1/purchases/calculate', {
      ...body,
      coupons: [code],
      externalRef: nextRef(),
    });
    expect(next.json().rejectedCoupons).toEqual([]);
    expect(next.json().result.coupons.consumed).toEqual([{ code, issueId: 'spring', ruleId: 'spring10' }]);
  });

  it('holds a coupon for the check at calculate, uses it at confirm, and issues one to print', async () => {
    const issued = await backOffice('/v1/coupons/issue', {
      customer: anna,
      issueCode: 'spring',
      occurredAt: later(),
    });
    expect(issued.statusCode, issued.body).toBe(201);
    const code = issued.json().code as string;
    const externalRef = nextRef();
    const body = { customer: anna, occurredAt: later(), lines: [bread], coupons: [code] };
    const held = await api.call('/v1/purchases/calculate', { ...body, externalRef });
    expect(held.statusCode, held.body).toBe(200);
    expect(held.json().result.coupons.consumed).toEqual([{ code, issueId: 'spring', ruleId: 'spring10' }]);
    // Another till cannot use the coupon held for this check.
    const other = await api.call('/v1/purchases/calculate', { ...body, externalRef: 'other-till' });
    expect(other.json().rejectedCoupons).toEqual([{ code, reason: 'coupon_reserved' }]);
    expect(other.json().result.coupons.consumed).toEqual([]);
    const confirmed = await api.call('/v1/purchases/confirm', { ...body, externalRef });
    expect(confirmed.statusCode, confirmed.body).toBe(201);
    expect(confirmed.json().result.discount).toBe(500);
    const again = await confirm(anna, { lines: [bread], coupons: [code] });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'coupon_already_used', field: 'coupons.0' });
    // A big check earns a coupon for the next visit, printed on the receipt.
    const big = await confirm(anna, { lines: [{ sku: 'SOFA', unitPrice: 150_000, quantity: 1 }] });
    expect(big.statusCode, big.body).toBe(201);
    const [next] = big.json().issuedCoupons;
    expect(next.issueId).toBe('spring');
    expect(big.json().receipt).toContain(`Ваш купон: ${next.code}`);
    // Cancelling the coupon purchase gives the coupon back.
    const cancelled = await api.call('/v1/purchases/cancel', {
      purchaseId: confirmed.json().purchaseId,
      occurredAt: later(),
    });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    const usableAgain = await api.call('/v1/purchases/calculate', { ...body, occurredAt: later() });
    expect(usableAgain.json().result.coupons.consumed).toHaveLength(1);
  });

  it('syncs checks made offline: original times, one coupon used twice is refused the second time', async () => {
    const issued = await backOffice('/v1/coupons/issue', {
      customer: anna,
      issueCode: 'spring',
      occurredAt: later(),
    });
    const code = issued.json().code as string;
    // Offline, both tills accepted the coupon and charged 45.00 for the bread.
    const offline = (externalRef: string) => ({
      idempotencyKey: `offline-${externalRef}`,
      check: {
        customer: anna,
        occurredAt: later(),
        externalRef,
        lines: [bread],
        coupons: [code],
        payments: [{ type: 'cash', amount: 4500 }],
      },
    });
    const batch = {
      checks: [
        offline('off-1'),
        offline('off-2'),
        {
          ...offline('off-3'),
          check: { ...offline('off-3').check, customer: { kind: 'phone', value: '+79990000001' } },
        },
      ],
    };
    const synced = await api.call('/v1/purchases/sync', batch);
    expect(synced.statusCode, synced.body).toBe(200);
    const [first, second, third] = synced.json().results;
    expect(first).toMatchObject({
      externalRef: 'off-1',
      status: 'confirmed',
      rejectedCoupons: [],
      difference: 0,
    });
    expect(second).toMatchObject({
      externalRef: 'off-2',
      status: 'confirmed',
      rejectedCoupons: [{ code, reason: 'coupon_redeemed' }],
      difference: -500,
    });
    expect(third).toMatchObject({ status: 'rejected', error: { code: 'customer_not_found' } });
    const offlineRows = await api.t.db
      .selectFrom('purchases')
      .select(['offline', 'occurred_at'])
      .where('external_ref', 'in', ['off-1', 'off-2'])
      .execute();
    expect(offlineRows.every((r) => r.offline)).toBe(true);
    const again = await api.call('/v1/purchases/sync', { checks: [offline('off-1')] });
    expect(again.json().results[0]).toMatchObject({ status: 'replayed', purchaseId: first.purchaseId });
  });

  it('refuses malformed bodies with 4xx naming the field and writes nothing', async () => {
    const count = async () =>
      (
        await api.t.db
          .selectFrom('purchases')
          .select(sql<number>`count(*)::int`.as('n'))
          .executeTakeFirstOrThrow()
      ).n;
    const before = await count();
    const cases: [string, object, string][] = [
      ['/v1/purchases/confirm', { occurredAt: at, lines: [milk] }, 'body.externalRef'],
      [
        '/v1/purchases/confirm',
        { occurredAt: 'yesterday', externalRef: 'x', lines: [milk] },
        'body.occurredAt',
      ],
      ['/v1/purchases/calculate', { occurredAt: at, lines: [] }, 'body.lines'],
      [
        '/v1/purchases/calculate',
        { occurredAt: at, lines: [{ ...milk, unitPrice: -1 }] },
        'body.lines.0.unitPrice',
      ],
      ['/v1/purchases/returns', { purchaseId: 1, returnRef: 'x', occurredAt: at, items: [] }, 'body.items'],
    ];
    for (const [url, body, field] of cases) {
      const r = await api.call(url, body);
      expect(r.statusCode, `${url} ${r.body}`).toBeGreaterThanOrEqual(400);
      expect(r.statusCode).toBeLessThan(500);
      expect(r.json().error.field).toBe(field);
    }
    const unknown = await confirm({ kind: 'phone', value: '+79990000000' });
    expect(unknown.statusCode).toBe(404);
    expect(await count()).toBe(before);
  });
});

describe('spending points with a one-time code', () => {
  it('asks for a code above the threshold and spends with the token the code gives', async () => {
    const settings = await backOffice('/v1/program/settings', {
      settings: { purchases: { redemptionCodeThreshold: 10 } },
      occurredAt: at,
    });
    expect(settings.statusCode, settings.body).toBe(200);
    const body = { lines: [milk], spendPoints: 10 };
    const refused = await confirm(anna, body);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatchObject({
      code: 'redemption_code_required',
      field: 'redemptionToken',
    });
    expect((await confirm(anna, { ...body, spendPoints: 9 })).statusCode).toBe(201);
    const sent = await api.call('/v1/purchases/redemption-code', { customer: anna });
    expect(sent.statusCode, sent.body).toBe(202);
    const code = /\d{6}/.exec((await api.lastTextTo(anna.value)) ?? '')![0];
    const wrong = await api.call('/v1/purchases/redemption-code/verify', {
      customer: anna,
      code: '000000',
      points: 10,
    });
    expect(wrong.json()).toMatchObject({ result: 'wrong' });
    expect(wrong.json().redemptionToken).toBeUndefined();
    const ok = await api.call('/v1/purchases/redemption-code/verify', { customer: anna, code, points: 10 });
    expect(ok.json().result).toBe('ok');
    const paid = await confirm(anna, { ...body, redemptionToken: ok.json().redemptionToken });
    expect(paid.statusCode, paid.body).toBe(201);
    const replayed = await confirm(anna, { ...body, redemptionToken: ok.json().redemptionToken });
    expect(replayed.statusCode).toBe(403);
    expect(replayed.json().error.message).toMatch(/used already/);
    const tooMuch = await confirm(anna, {
      ...body,
      spendPoints: 11,
      redemptionToken: ok.json().redemptionToken,
    });
    expect(tooMuch.statusCode).toBe(403);
  });
});

describe('money and promotions come back exactly once', () => {
  it('two tills confirming one check at once: one purchase, the other told so', async () => {
    const body = { customer: anna, occurredAt: later(), externalRef: nextRef(), lines: [bread] };
    const answers = await Promise.all([
      api.call('/v1/purchases/confirm', body),
      api.call('/v1/purchases/confirm', body),
    ]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([201, 409]);
  });

  it('cancelling the purchase that used a limited promotion gives its use back', async () => {
    const usage = async () =>
      (
        await api.t.db
          .selectFrom('promotion_usage')
          .select('uses')
          .where('rule_id', '=', 'once')
          .where('customer_id', '=', 0)
          .executeTakeFirstOrThrow()
      ).uses;
    const rows = await api.t.db.selectFrom('purchases').select(['id', 'result', 'status']).execute();
    const user = rows.find(
      (r) =>
        r.status === 'confirmed' &&
        (r.result as { explanations: { ruleId: string; status: string }[] }).explanations.some(
          (e) => e.ruleId === 'once' && e.status === 'applied',
        ),
    )!;
    expect(await usage()).toBe(1);
    const cancel = await api.call('/v1/purchases/cancel', { purchaseId: user.id, occurredAt: later() });
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect(await usage()).toBe(0);
  });

  it('cancelling a purchase cancels the unused coupons it issued', async () => {
    const big = await confirm(anna, { lines: [{ sku: 'ARMCHAIR', unitPrice: 120_000, quantity: 1 }] });
    const [coupon] = big.json().issuedCoupons;
    const cancel = await api.call('/v1/purchases/cancel', {
      purchaseId: big.json().purchaseId,
      occurredAt: later(),
    });
    expect(cancel.statusCode, cancel.body).toBe(200);
    const lookup = await api.app.inject({
      method: 'GET',
      url: `/v1/coupons/${coupon.code}?at=2026-11-26T00:00:00Z`,
      headers: { authorization: `Bearer ${api.demo.tillApiKey}` },
    });
    expect(lookup.json()).toMatchObject({ usable: false });
  });
});

it('the OpenAPI document names the confirm’s coupon and points refusals', async () => {
  const doc = (await api.app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
  const description = doc.paths['/v1/purchases/confirm'].post.description as string;
  for (const answer of [
    '409 coupon_already_used',
    '409 coupon_limit_reached',
    '422 with the refusal’s own code',
    '`coupons.<i>`',
    '409 insufficient_points',
  ])
    expect(description).toContain(answer);
});
