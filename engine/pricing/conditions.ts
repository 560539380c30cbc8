/** Whether a rule's validity, schedule and eligibility hold for a check: null, or the failing part's name. */
import { createHash } from 'node:crypto';
import { childAgeOn, isCalendarDate } from '../customers/questionnaire';
import type { Check, CustomerContext } from './check';
import { counterKey, type CounterSpec } from './counters';
import { conditionCounter, relativeValidityCounters } from './history';
import { sum } from './discount-effects';
import { matchesFilter } from './line-filter';
import type { Condition, Rule } from './rules';

export interface Local {
  date: string;
  time: string;
  month: string;
  weekday: number;
}

export function localOf(check: Check): Local {
  const date = check.localDateTime.slice(0, 10);
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(2000, m - 1, d));
  day.setUTCFullYear(y);
  const js = day.getUTCDay();
  return {
    date,
    time: check.localDateTime.slice(11, 16),
    month: date.slice(5, 7),
    weekday: js === 0 ? 7 : js,
  };
}

const DAY_MS = 86_400_000;

function dayNumber(y: number, m: number, d: number): number {
  const t = new Date(Date.UTC(2000, m - 1, d));
  t.setUTCFullYear(y);
  return Math.round(t.getTime() / DAY_MS);
}

/**
 * Days between `on` and the nearest anniversary of `date` (both YYYY-MM-DD), before or after. A 29
 * February date has its anniversary on 1 March in common years, as in childAgeOn.
 */
export function daysToAnniversary(date: string, on: string): number {
  const [, m, d] = date.split('-').map(Number) as [number, number, number];
  const [y, om, od] = on.split('-').map(Number) as [number, number, number];
  const today = dayNumber(y, om, od);
  let best = Infinity;
  for (const year of [y - 1, y, y + 1]) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    const day = m === 2 && d === 29 && !leap ? dayNumber(year, 3, 1) : dayNumber(year, m, d);
    best = Math.min(best, Math.abs(day - today));
  }
  return best;
}

/** Counter keys by the condition or rule that reads them, computed once per rule-set object. */
const keys = new WeakMap<object, string>();

/** A counter from the context: absent when not supplied. */
function counter(owner: object, spec: () => CounterSpec, counters: Readonly<Record<string, number>>) {
  let key = keys.get(owner);
  if (key === undefined) {
    key = counterKey(spec());
    keys.set(owner, key);
  }
  return counters[key];
}

export interface Env {
  check: Check;
  context: CustomerContext;
  local: Local;
  checkAmount: number;
}

/** Null when the condition holds, else the name of the failing part. */
export function failingCondition(c: Condition, env: Env): string | null {
  if (c.type === 'and') {
    for (const part of c.all) {
      const f = failingCondition(part, env);
      if (f !== null) return f;
    }
    return null;
  }
  return holds(c, env) ? null : `condition.${c.type}`;
}

function holds(c: Exclude<Condition, { type: 'and' }>, env: Env): boolean {
  const { check, context, local } = env;
  switch (c.type) {
    case 'or':
      return c.any.some((part) => failingCondition(part, env) === null);
    case 'not':
      return failingCondition(c.not, env) !== null;
    case 'store':
      return c.storeIds.includes(check.storeId);
    case 'partner':
      return check.partnerId !== undefined && c.partnerIds.includes(check.partnerId);
    case 'tier':
      return context.tier !== undefined && c.tiers.includes(context.tier);
    case 'cardType':
      return context.cardType !== undefined && c.cardTypes.includes(context.cardType);
    case 'segment':
      return c.match === 'all'
        ? c.segments.every((s) => context.segments.includes(s))
        : c.segments.some((s) => context.segments.includes(s));
    case 'storeGroup':
      return c.groupIds.some((g) => check.storeGroupIds.includes(g));
    case 'checkAmount':
      return env.checkAmount >= c.min;
    case 'nthPurchase': {
      const nth = (counter(c, () => conditionCounter(c), context.counters) ?? 0) + 1;
      return c.every ? nth % c.n === 0 : nth === c.n;
    }
    case 'repeatPurchase':
    case 'previousPurchase': {
      const bought = counter(c, () => conditionCounter(c), context.counters) ?? 0;
      return bought >= (c.type === 'previousPurchase' ? (c.minQuantity ?? 1) : 1);
    }
    case 'accumulatedAmount': {
      const before = counter(c, () => conditionCounter(c), context.counters) ?? 0;
      return before + (c.includeCheck === false ? 0 : env.checkAmount) >= c.min;
    }
    case 'line': {
      // Lines outside promotions count for no condition, as for the check amount.
      const qty = sum(
        check.lines.filter((l) => !l.excluded && matchesFilter(c.filter, l)).map((l) => l.quantity),
      );
      return qty > 0 && qty >= (c.minQuantity ?? 1);
    }
    case 'birthdayMonth':
      return context.birthDate !== undefined && context.birthDate.slice(5, 7) === local.month;
    case 'answerDate': {
      const d = context.answers[c.key];
      return isCalendarDate(d) && daysToAnniversary(d, local.date) <= (c.withinDays ?? 0);
    }
    case 'groupItem': {
      const items = context.answers[c.group ?? 'children'];
      if (!Array.isArray(items)) return false;
      const dated = c.minAge !== undefined || c.maxAge !== undefined || c.birthdayWithinDays !== undefined;
      return items.some((item) => {
        if (typeof item !== 'object' || item === null || Array.isArray(item)) return false;
        for (const [k, v] of Object.entries(c.where ?? {})) if (item[k] !== v) return false;
        if (!dated) return true;
        const bd = item[c.birthDateKey ?? 'birth_date'];
        if (!isCalendarDate(bd)) return false;
        const age = childAgeOn(bd, local.date);
        return (
          (c.minAge === undefined || age >= c.minAge) &&
          (c.maxAge === undefined || age <= c.maxAge) &&
          (c.birthdayWithinDays === undefined || daysToAnniversary(bd, local.date) <= c.birthdayWithinDays)
        );
      });
    }
  }
}

export function failingRule(rule: Rule, env: Env, at: Date): string | null {
  const v = rule.validity;
  if (v?.from !== undefined && at.getTime() < Date.parse(v.from)) return 'validity.from';
  if (v?.to !== undefined && at.getTime() >= Date.parse(v.to)) return 'validity.to';
  if (v?.relative && !relativelyValid(rule, env, at)) return 'validity.relative';
  const s = rule.schedule;
  if (s?.weekdays && !s.weekdays.includes(env.local.weekday)) return 'schedule.weekday';
  if (s?.windows && !s.windows.some((w) => w.from <= env.local.time && env.local.time < w.to)) {
    return 'schedule.time';
  }
  return rule.condition ? failingCondition(rule.condition, env) : null;
}

const DAY_SECONDS = 86_400;

/**
 * Relative validity: `days` days from the customer's first purchase under the rule, or from reaching
 * an accumulated amount. Not started yet means this check may start it: a first use, or a check that
 * brings the sum to the amount.
 */
function relativelyValid(rule: Rule, env: Env, at: Date): boolean {
  const relative = rule.validity!.relative!;
  let startSeconds: number | undefined;
  if (relative.from === 'firstUse') {
    const first = env.context.customerUsage[rule.id]?.firstUsedAt;
    startSeconds = first === undefined ? undefined : Math.floor(Date.parse(first) / 1000);
  } else {
    startSeconds = counter(rule, () => relativeValidityCounters(rule)!.reachedAt, env.context.counters);
    if (startSeconds === undefined) {
      const spent = counter(relative, () => relativeValidityCounters(rule)!.amount, env.context.counters);
      return (spent ?? 0) + env.checkAmount >= relative.amount;
    }
  }
  if (startSeconds === undefined) return env.context.customerId !== undefined;
  return at.getTime() < (startSeconds + relative.days * DAY_SECONDS) * 1000;
}

/**
 * Whether a customer is in a rule's control group: a hash of customer and rule id falls in the first
 * `controlGroupBps` of 10 000 buckets, so the choice is stable, independent between rules, and needs
 * no stored list.
 */
export function inControlGroup(rule: Rule, customerId: string | undefined): boolean {
  if (!customerId || rule.controlGroupBps === 0) return false;
  const bucket =
    createHash('sha256').update(`${rule.id}\u0000${customerId}`).digest().readUInt32BE(0) % 10_000;
  return bucket < rule.controlGroupBps;
}
