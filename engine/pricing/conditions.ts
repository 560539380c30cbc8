/** Whether a rule's validity, schedule and eligibility hold for a check: null, or the failing part's name. */
import { createHash } from 'node:crypto';
import { childAgeOn, isCalendarDate } from '../customers/questionnaire';
import type { Check, CheckLine, CustomerContext } from './check';
import type { Condition, LineFilter, Rule } from './rules';

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

export function matchesFilter(filter: LineFilter | undefined, line: CheckLine): boolean {
  if (!filter) return true;
  if (filter.skus && !filter.skus.includes(line.sku)) return false;
  if (filter.excludeSkus?.includes(line.sku)) return false;
  if (filter.categories && !filter.categories.some((p) => p.every((c, i) => line.category[i] === c))) {
    return false;
  }
  if (filter.brands && (line.brand === undefined || !filter.brands.includes(line.brand))) return false;
  if (filter.suppliers && (line.supplier === undefined || !filter.suppliers.includes(line.supplier))) {
    return false;
  }
  if (filter.minUnitPrice !== undefined && line.unitPrice < filter.minUnitPrice) return false;
  if (filter.maxUnitPrice !== undefined && line.unitPrice > filter.maxUnitPrice) return false;
  return true;
}

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

export interface Env {
  check: Check;
  context: CustomerContext;
  local: Local;
  checkAmount: number;
}

/** Null when the condition holds, else the name of the failing part. */
export function failingCondition(c: Condition, env: Env): string | null {
  const { check, context, local } = env;
  const fail = (ok: boolean) => (ok ? null : `condition.${c.type}`);
  switch (c.type) {
    case 'and': {
      for (const part of c.all) {
        const f = failingCondition(part, env);
        if (f !== null) return f;
      }
      return null;
    }
    case 'or':
      return fail(c.any.some((part) => failingCondition(part, env) === null));
    case 'not':
      return fail(failingCondition(c.not, env) !== null);
    case 'store':
      return fail(c.storeIds.includes(check.storeId));
    case 'partner':
      return fail(check.partnerId !== undefined && c.partnerIds.includes(check.partnerId));
    case 'tier':
      return fail(context.tier !== undefined && c.tiers.includes(context.tier));
    case 'cardType':
      return fail(context.cardType !== undefined && c.cardTypes.includes(context.cardType));
    case 'segment':
      return fail(
        c.match === 'all'
          ? c.segments.every((s) => context.segments.includes(s))
          : c.segments.some((s) => context.segments.includes(s)),
      );
    case 'checkAmount':
      return fail(env.checkAmount >= c.min);
    case 'line': {
      const qty = sum(check.lines.filter((l) => matchesFilter(c.filter, l)).map((l) => l.quantity));
      return fail(qty > 0 && qty >= (c.minQuantity ?? 1));
    }
    case 'birthdayMonth':
      return fail(context.birthDate !== undefined && context.birthDate.slice(5, 7) === local.month);
    case 'answerDate': {
      const d = context.answers[c.key];
      return fail(isCalendarDate(d) && daysToAnniversary(d, local.date) <= (c.withinDays ?? 0));
    }
    case 'groupItem': {
      const items = context.answers[c.group ?? 'children'];
      if (!Array.isArray(items)) return fail(false);
      const dated = c.minAge !== undefined || c.maxAge !== undefined || c.birthdayWithinDays !== undefined;
      return fail(
        items.some((item) => {
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
        }),
      );
    }
  }
}

export function failingRule(rule: Rule, env: Env, at: Date): string | null {
  const v = rule.validity;
  if (v?.from !== undefined && at.getTime() < Date.parse(v.from)) return 'validity.from';
  if (v?.to !== undefined && at.getTime() >= Date.parse(v.to)) return 'validity.to';
  const s = rule.schedule;
  if (s?.weekdays && !s.weekdays.includes(env.local.weekday)) return 'schedule.weekday';
  if (s?.windows && !s.windows.some((w) => w.from <= env.local.time && env.local.time < w.to)) {
    return 'schedule.time';
  }
  return rule.condition ? failingCondition(rule.condition, env) : null;
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
