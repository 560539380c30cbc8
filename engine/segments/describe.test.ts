import { describe, expect, it } from 'vitest';
import { conditionSchema } from './definition';
import { describeCondition } from './describe';

const text = (condition: unknown) => describeCondition(conditionSchema.parse(condition));

describe('a condition in plain English', () => {
  it.each([
    [{ type: 'profile', field: 'gender', in: ['female'] }, 'gender is female'],
    [{ type: 'age', years: { min: 25, max: 40 } }, 'aged 25–40'],
    [{ type: 'birthday', withinDays: 0 }, 'birthday today'],
    [{ type: 'registered', daysAgo: { min: 30 } }, 'registered at least 30 days ago'],
    [{ type: 'questionnaire', test: { field: 'has_car', equals: true } }, 'questionnaire: "has_car" is yes'],
    [
      {
        type: 'questionnaireGroup',
        group: 'children',
        quantifier: 'atLeastOne',
        where: [{ field: 'birth_date', age: { max: 11 } }],
      },
      'at least one of "children" items where "birth_date" is at most 11 years ago',
    ],
    [
      { type: 'questionnaireGroup', group: 'children', quantifier: 'count', count: { min: 3 } },
      'at least 3 "children" items',
    ],
    [
      {
        type: 'purchases',
        windowDays: 90,
        metric: 'amount',
        range: { min: 50000 },
        filter: { brands: ['a', 'b'] },
      },
      'spend in the last 90 days (a or b) at least 50000',
    ],
    [{ type: 'lastPurchase', daysAgo: { min: 180 } }, 'last purchase at least 180 days ago'],
    [
      {
        type: 'event',
        eventType: 'app.opened',
        windowDays: 7,
        count: { min: 2 },
        where: [{ property: 'screen', in: ['cart'] }],
      },
      'app.opened where screen is cart at least 2 times in the last 7 days',
    ],
    [{ type: 'tier', tiers: ['gold', 'silver', 'platinum'] }, 'tier is gold, silver or platinum'],
    [
      { type: 'pointsExpiring', withinDays: 7, range: { min: 1 } },
      'points expiring within 7 days at least 1',
    ],
    [
      { type: 'coupon', issue: 'spring', state: 'used', windowDays: 30 },
      'used a spring coupon in the last 30 days',
    ],
    [{ type: 'balance', range: { min: 5, max: 5 } }, 'points balance exactly 5'],
    [{ type: 'bucket', from: 0, to: 9 }, 'random bucket 0–9 (salt segment)'],
    [{ type: 'not', condition: { type: 'list', list: 'vip' } }, 'not'],
  ])('%j', (condition, expected) => {
    expect(text(condition)).toBe(expected);
  });
});
