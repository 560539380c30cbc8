import type { AnswerTest, Condition, PropertyTest } from './definition';

/**
 * One line of plain English per condition, for the contact centre's "why (not)" and the segment
 * editor: "spend in the last 90 days at least 50000", "tier is gold or platinum". Money and points are
 * in minor units and integers, as everywhere in the API.
 */

type Range = { min?: number | string | undefined; max?: number | string | undefined };

function range(r: Range, unit = ''): string {
  const u = unit ? ` ${unit}` : '';
  if (r.min !== undefined && r.max !== undefined) {
    return r.min === r.max ? `exactly ${r.min}${u}` : `${r.min}–${r.max}${u}`;
  }
  return r.min !== undefined ? `at least ${r.min}${u}` : `at most ${r.max}${u}`;
}

function either(values: readonly string[]): string {
  return values.length === 1 ? values[0]! : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
}

function answer(t: AnswerTest): string {
  if (t.answered !== undefined) return `"${t.field}" ${t.answered ? 'is answered' : 'is not answered'}`;
  if (t.in) return `"${t.field}" is ${either(t.in)}`;
  if (t.equals !== undefined) return `"${t.field}" is ${t.equals ? 'yes' : 'no'}`;
  if (t.range) return `"${t.field}" is ${range(t.range)}`;
  if (t.age) return `"${t.field}" is ${range(t.age, 'years')} ago`;
  return `"${t.field}" is between ${t.dateRange?.from ?? 'any date'} and ${t.dateRange?.to ?? 'any date'}`;
}

function property(t: PropertyTest): string {
  if (t.in) return `${t.property} is ${either(t.in)}`;
  if (t.equals !== undefined) return `${t.property} is ${t.equals}`;
  return `${t.property} is ${range(t.range!)}`;
}

const quantifiers = { atLeastOne: 'at least one', all: 'every (and at least one)', none: 'no' } as const;

export function describeCondition(c: Condition): string {
  switch (c.type) {
    case 'all':
      return `all of ${c.conditions.length}`;
    case 'any':
      return `any of ${c.conditions.length}`;
    case 'not':
      return 'not';
    case 'profile':
      return c.in ? `${c.field} is ${either(c.in)}` : `${c.field} is given`;
    case 'age':
      return `aged ${range(c.years)}`;
    case 'birthday':
      return c.withinDays === 0 ? 'birthday today' : `birthday within ${c.withinDays} days`;
    case 'registered':
      return `registered ${range(c.daysAgo, 'days')} ago`;
    case 'questionnaire':
      return `questionnaire: ${answer(c.test)}`;
    case 'questionnaireGroup': {
      const where = c.where.length ? ` where ${c.where.map(answer).join(' and ')}` : '';
      const items = `"${c.group}" items${where}`;
      return c.quantifier === 'count'
        ? `${range(c.count!)} ${items}`
        : `${quantifiers[c.quantifier]} of ${items}`;
    }
    case 'purchases': {
      const f = c.filter;
      const scope = [f.categories, f.brands, f.skus, f.stores, f.storeGroups]
        .filter((v): v is string[] => v !== undefined)
        .map(either);
      const what = c.metric === 'count' ? 'purchases' : 'spend';
      return `${what} in the last ${c.windowDays} days${scope.length ? ` (${scope.join('; ')})` : ''} ${range(c.range)}`;
    }
    case 'lastPurchase':
      return `last purchase ${range(c.daysAgo, 'days')} ago`;
    case 'event': {
      const where = c.where.length ? ` where ${c.where.map(property).join(' and ')}` : '';
      return `${c.eventType}${where} ${range(c.count, 'times')} in the last ${c.windowDays} days`;
    }
    case 'tier':
      return `tier is ${either(c.tiers)}`;
    case 'cardType':
      return `has an active ${either(c.cardTypes)} card`;
    case 'balance':
      return `points balance ${range(c.range)}`;
    case 'pointsExpiring':
      return `points expiring within ${c.withinDays} days ${range(c.range)}`;
    case 'coupon':
      return c.state === 'held'
        ? `holds a live ${c.issue} coupon`
        : `used a ${c.issue} coupon${c.windowDays ? ` in the last ${c.windowDays} days` : ''}`;
    case 'segment':
      return `in segment ${c.segment}`;
    case 'bucket':
      return `random bucket ${c.from}–${c.to} (salt ${c.salt})`;
    case 'list':
      return `on list ${c.list}`;
  }
}
