import { describe, expect, it } from 'vitest';
import { inControlGroup } from './conditions';
import { evaluateCheck } from './evaluate';
import { at, check, customer, line, rule } from './fixtures';

const promo = rule({ id: 'promo10', benefit: { kind: 'percent', bps: 1000 }, controlGroupBps: 1000 });

describe('control groups', () => {
  it('keeps a stable tenth of customers out of the benefit, chosen from the customer id', () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => `customer-${i}`);
    const inGroup = ids.filter((id) => inControlGroup(promo, id));
    expect(inGroup.length / ids.length).toBeGreaterThan(0.09);
    expect(inGroup.length / ids.length).toBeLessThan(0.11);
    expect(ids.filter((id) => inControlGroup(promo, id))).toEqual(inGroup);
    const other = rule({ ...promo, id: 'other' });
    const overlap = inGroup.filter((id) => inControlGroup(other, id)).length / inGroup.length;
    expect(overlap).toBeLessThan(0.2);
  });

  it('evaluates a control-group customer but gives nothing, and says so', () => {
    const member = Array.from({ length: 1000 }, (_, i) => `c${i}`).find((id) => inControlGroup(promo, id))!;
    const outsider = Array.from({ length: 1000 }, (_, i) => `c${i}`).find(
      (id) => !inControlGroup(promo, id),
    )!;
    const c = check([line('A', 1000)]);
    const controlled = evaluateCheck([promo], c, customer({ customerId: member }), at);
    expect(controlled.discount).toBe(0);
    expect(controlled.explanations).toEqual([{ ruleId: 'promo10', status: 'control_group' }]);
    expect(evaluateCheck([promo], c, customer({ customerId: outsider }), at).discount).toBe(100);
    expect(evaluateCheck([promo], c, customer(), at).discount).toBe(100);
  });
});
