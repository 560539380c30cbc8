import { beforeAll, expect } from 'vitest';
import { useApiFixture, type ApiFixture } from './api-fixture';
import { apiPut } from './api-requests';

export const at = '2026-11-25T12:00:00+03:00';
export const anna = { kind: 'phone', value: '+79161110001' } as const;
export const boris = { kind: 'phone', value: '+79161110002' } as const;
export const milk = { sku: 'MILK', unitPrice: 10_000, quantity: 4, category: ['dairy'] };
export const bread = { sku: 'BREAD', unitPrice: 5_000, quantity: 1, category: ['bakery'] };

/**
 * The purchase tests' promotions: 4 for 3, earning by tier, a points cap, coupons (one a promo price
 * with a use limit), a one-off limit.
 */
const rules = [
  {
    id: '4for3',
    name: '4 for 3 on dairy',
    target: { categories: [['dairy']] },
    benefit: { kind: 'mForN', buy: 4, pay: 3 },
  },
  { id: 'base', name: 'Base 5 %', benefit: { kind: 'earn', bps: 500 } },
  {
    id: 'gold',
    name: 'Gold 10 %',
    condition: { type: 'tier', tiers: ['gold'] },
    benefit: { kind: 'earn', bps: 1000 },
    conflict: { group: 'earn', mode: 'max' },
  },
  { id: 'cap50', name: 'At most 50 % with points', benefit: { kind: 'redeemCap', bps: 5000 } },
  {
    id: 'second',
    name: 'Bonus for the second purchase',
    condition: { type: 'nthPurchase', n: 2 },
    benefit: { kind: 'fixedPoints', points: 77 },
  },
  {
    id: 'spring10',
    name: '10 % with a spring coupon',
    coupon: { issueIds: ['spring'] },
    benefit: { kind: 'percent', bps: 1000 },
  },
  {
    id: 'next-visit',
    name: 'A coupon for the next visit on big checks',
    condition: { type: 'checkAmount', min: 100_000 },
    benefit: { kind: 'issueCoupon', issueId: 'spring' },
  },
  {
    id: 'croissant99',
    name: 'A croissant for 99.00 with a croissant coupon, at most 100 times',
    target: { skus: ['CROISSANT'] },
    coupon: { issueIds: ['croissant'] },
    benefit: { kind: 'fixedPrice', unitPrice: 9900 },
    limits: { totalUses: 100 },
  },
  {
    id: 'once',
    name: 'One-off 10 rub off bread, first come',
    target: { skus: ['BREAD'] },
    benefit: { kind: 'amountPerLine', amount: 1000 },
    limits: { totalUses: 1 },
  },
];

export interface PurchaseProgram {
  api: ApiFixture;
  backOffice(url: string, payload: object): ReturnType<ApiFixture['call']>;
  /** A fresh externalRef for a till check. */
  nextRef(): string;
  /** Each purchase a minute after the previous one, so purchase counters see the earlier ones. */
  later(): string;
  /** Confirms a check of milk (unless `body` says otherwise) for `customer`, or anonymous. */
  confirm(customer: object | undefined, body?: object): ReturnType<ApiFixture['call']>;
  /** Registers a new customer at the till by a phone of its own. */
  register(): Promise<{ id: number; customer: { kind: 'phone'; value: string } }>;
}

/**
 * The API on a program set up for the purchase flow: two customers (anna, boris), the spring and
 * croissant coupon issues, the rule set above published, and a two-tier ladder reviewed on every purchase. One point is
 * worth one kopeck, so points read as money.
 */
export function usePurchaseProgram(name: string): PurchaseProgram {
  const api = useApiFixture(name, { conversionRate: { points: 1, cash: 1 } });
  const backOffice = (url: string, payload: object) =>
    api.call(url, payload, { token: api.demo.backOfficeApiKey });
  let ref = 0;
  const nextRef = () => `chk-${(ref += 1)}`;
  const later = () => new Date(Date.parse('2026-11-25T09:00:00Z') + ref * 60_000).toISOString();
  beforeAll(async () => {
    for (const phone of [anna.value, boris.value]) {
      const r = await api.call('/v1/customers', { channel: 'till', registeredAt: at, phone });
      expect(r.statusCode, r.body).toBe(201);
    }
    const spring = await backOffice('/v1/coupon-issues', {
      code: 'spring',
      name: 'Spring',
      kind: 'single_use',
      pattern: { prefix: 'SP', length: 8, group: 4 },
    });
    expect(spring.statusCode, spring.body).toBe(201);
    const croissant = await backOffice('/v1/coupon-issues', {
      code: 'croissant',
      name: 'Croissant',
      kind: 'single_use',
      pattern: { prefix: 'CR', length: 8, group: 4 },
    });
    expect(croissant.statusCode, croissant.body).toBe(201);
    const draft = await backOffice('/v1/promotions/rule-sets', { rules });
    expect(draft.statusCode, draft.body).toBe(201);
    const published = await backOffice('/v1/promotions/rule-sets/publish', { version: draft.json().version });
    expect(published.statusCode, published.body).toBe(200);
    const ladder = await apiPut(
      api,
      '/v1/tiers/ladder',
      {
        tiers: [
          { code: 'base', name: 'Base', threshold: 0 },
          { code: 'gold', name: 'Gold', threshold: 100_000 },
        ],
        window: { months: 12 },
        reviewPeriod: 'on-purchase',
        downgrade: { policy: 'to-qualified', graceMonths: 0 },
      },
      'ladder-1',
    );
    expect(ladder.statusCode, ladder.body).toBe(200);
  });
  let phones = 0;
  return {
    api,
    backOffice,
    nextRef,
    later,
    async register() {
      const customer = { kind: 'phone', value: `+7916555${String((phones += 1)).padStart(4, '0')}` } as const;
      const response = await api.call('/v1/customers', {
        channel: 'till',
        registeredAt: at,
        phone: customer.value,
      });
      expect(response.statusCode, response.body).toBe(201);
      return { id: response.json().customerId as number, customer };
    },
    confirm: (customer, body = {}) =>
      api.call('/v1/purchases/confirm', {
        ...(customer ? { customer } : {}),
        externalRef: nextRef(),
        occurredAt: later(),
        lines: [milk],
        ...body,
      }),
  };
}
