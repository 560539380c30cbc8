import { describe, expect, it } from 'vitest';
import { anna, boris, usePurchaseProgram } from '../../test/support/purchase-program';

const { api, backOffice, nextRef, later } = usePurchaseProgram('coupons-at-till');

const tea = { sku: 'TEA', unitPrice: 10_000, quantity: 1 };

/** A new coupon of the issue for the customer; its code as the till presents it. */
async function couponOf(customer: object, issueCode: string): Promise<string> {
  const issued = await backOffice('/v1/coupons/issue', { customer, issueCode, occurredAt: later() });
  expect(issued.statusCode, issued.body).toBe(201);
  return issued.json().code as string;
}

async function couponRow(code: string) {
  return api.t.db
    .selectFrom('coupons')
    .select(['id', 'status', 'uses'])
    .where('code', '=', code)
    .executeTakeFirstOrThrow();
}

describe('coupons at the till', () => {
  it('calculate does not apply a customer’s personal coupon to another customer’s or an anonymous check, for the reason confirm gives', async () => {
    const code = await couponOf(anna, 'spring');
    const body = { occurredAt: later(), lines: [tea], coupons: [code] };
    for (const buyer of [{ customer: boris }, {}]) {
      const calc = await api.call('/v1/purchases/calculate', { ...body, ...buyer });
      expect(calc.statusCode, calc.body).toBe(200);
      expect(calc.json().rejectedCoupons).toEqual([{ code, reason: 'coupon_customer_mismatch' }]);
      expect(calc.json().result.coupons.consumed).toEqual([]);
      expect(calc.json().result.discount).toBe(0);
      const confirmed = await api.call('/v1/purchases/confirm', {
        ...body,
        ...buyer,
        externalRef: nextRef(),
        payments: [{ type: 'card', amount: calc.json().result.payable }],
      });
      expect(confirmed.statusCode, confirmed.body).toBe(422);
      expect(confirmed.json().error).toMatchObject({ code: 'coupon_customer_mismatch', field: 'coupons.0' });
    }
    const own = await api.call('/v1/purchases/calculate', { ...body, customer: anna });
    expect(own.json().rejectedCoupons).toEqual([]);
    expect(own.json().result.coupons.consumed).toEqual([{ code, issueId: 'spring', ruleId: 'spring10' }]);
  });

  it('a coupon rule that gives nothing is not applied at confirm: the coupon stays unused and no use is counted', async () => {
    const code = await couponOf(anna, 'croissant');
    const uses = async () =>
      (
        await api.t.db
          .selectFrom('promotion_usage')
          .select('uses')
          .where('rule_id', '=', 'croissant99')
          .where('customer_id', '=', 0)
          .executeTakeFirst()
      )?.uses ?? 0;
    const buy = (unitPrice: number) =>
      api.call('/v1/purchases/confirm', {
        customer: anna,
        occurredAt: later(),
        externalRef: nextRef(),
        lines: [{ sku: 'CROISSANT', unitPrice, quantity: 1 }],
        coupons: [code],
      });
    // The shelf price is below the promo price of 99.00.
    const cheap = await buy(8000);
    expect(cheap.statusCode, cheap.body).toBe(201);
    expect(cheap.json().result.explanations).toContainEqual({
      ruleId: 'croissant99',
      status: 'not_eligible',
      failed: 'benefit.price_not_lower',
    });
    expect(cheap.json().result.coupons.consumed).toEqual([]);
    expect(await couponRow(code)).toMatchObject({ status: 'issued', uses: 0 });
    expect(await uses()).toBe(0);
    // Above the promo price the same coupon gives 21.00 off and is used once.
    const dear = await buy(12_000);
    expect(dear.statusCode, dear.body).toBe(201);
    expect(dear.json().result.discount).toBe(2100);
    expect(await couponRow(code)).toMatchObject({ status: 'redeemed', uses: 1 });
    expect(await uses()).toBe(1);
  });

  it('one single-use coupon at five tills at once: one confirm uses it, four are told coupon_already_used', async () => {
    const code = await couponOf(anna, 'spring');
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        api.call('/v1/purchases/confirm', {
          customer: anna,
          occurredAt: later(),
          externalRef: nextRef(),
          lines: [tea],
          coupons: [code],
          // What calculate promised with the coupon: 100.00 less 10 %.
          payments: [{ type: 'card', amount: 9000 }],
        }),
      ),
    );
    const won = answers.filter((r) => r.statusCode === 201);
    const lost = answers.filter((r) => r.statusCode !== 201);
    expect(won, answers.map((r) => r.body).join('\n')).toHaveLength(1);
    expect(won[0]!.json().result.coupons.consumed).toEqual([{ code, issueId: 'spring', ruleId: 'spring10' }]);
    expect(lost).toHaveLength(4);
    for (const r of lost) {
      expect(r.statusCode, r.body).toBe(409);
      expect(r.json().error).toMatchObject({ code: 'coupon_already_used', field: 'coupons.0' });
    }
    const coupon = await couponRow(code);
    expect(coupon).toMatchObject({ status: 'redeemed', uses: 1 });
    const redeemed = await api.t.db
      .selectFrom('coupon_uses')
      .select('holder')
      .where('coupon_id', '=', coupon.id)
      .where('status', '=', 'redeemed')
      .execute();
    expect(redeemed).toHaveLength(1);
  });
});
