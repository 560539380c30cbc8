import { filters, type Context, type Liquid } from 'liquidjs';

/** What a filter is called on (liquidjs does not export its own name for it). */
interface FilterImpl {
  context: Context;
}

/** Liquid's own `date`, which the zoned one wraps. */
const builtInDate = filters.date as (
  this: FilterImpl,
  value: unknown,
  format?: unknown,
  zone?: unknown,
) => unknown;

/**
 * Filters for marketers beside Liquid's own: `money`, `date` in the customer's time zone and `plural`.
 * They read the render's settings from the render globals under a symbol, which no template can name,
 * and the locale (numbers, month names) from the Liquid instance, one per locale.
 */

export const renderSettingsKey = Symbol('template render settings');

export interface RenderSettings {
  /** IANA zone dates are printed in: the customer's, else the program's. */
  timeZone: string;
  /** ISO 4217 code `money` prints when given none. */
  currency: string;
}

const settingsOf = (filter: FilterImpl): RenderSettings =>
  (filter.context.globals as { [renderSettingsKey]: RenderSettings })[renderSettingsKey];

const moneyFormats = new Map<string, Intl.NumberFormat>();

/**
 * Minor units as money of the locale: 123450 RUB in ru → "1 234,50 ₽". Spaces are plain (not the
 * no-break spaces Intl writes, whose kind varies between ICU versions): the same text on every Node and
 * an SMS that stays in the GSM alphabet when the rest of it does. A bad currency code is a RangeError.
 */
export function formatMoney(minor: number, currency: string, locale: string): string {
  const key = `${locale}:${currency}`;
  let format = moneyFormats.get(key);
  if (!format)
    moneyFormats.set(key, (format = new Intl.NumberFormat(locale, { style: 'currency', currency })));
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minor / 10 ** digits).replace(/[\u00a0\u202f]/g, ' ');
}

/**
 * The word for a count: three forms are Russian (1 балл, 2 балла, 5 баллов; 11–14 баллов, 21 балл; a
 * fraction takes the second form, 1,5 балла), two are English-like (one, other).
 */
export function pluralForm(count: number, forms: readonly string[]): string {
  const [one = '', few = one, many = few] = forms;
  if (!Number.isFinite(count)) return many;
  if (forms.length < 3) return Math.abs(count) === 1 ? one : few;
  if (!Number.isInteger(count)) return few;
  const n = Math.abs(count);
  const last = n % 10;
  const lastTwo = n % 100;
  if (last === 1 && lastTwo !== 11) return one;
  if (last >= 2 && last <= 4 && (lastTwo < 12 || lastTwo > 14)) return few;
  return many;
}

const toNumber = (value: unknown): number | undefined => {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
};

const dateOnly = /^\d{4}-\d{2}-\d{2}$/;

/** Adds the filters to a Liquid instance (every instance of the renderer gets them). */
export function registerTemplateFilters(liquid: Liquid): void {
  liquid.registerFilter('money', function (this: FilterImpl, value: unknown, currency?: unknown) {
    const minor = toNumber(value);
    if (minor === undefined) return '';
    const code = typeof currency === 'string' ? currency : settingsOf(this).currency;
    return formatMoney(minor, code, this.context.opts.locale);
  });
  liquid.registerFilter(
    'date',
    function (this: FilterImpl, value: unknown, format?: unknown, zone?: unknown) {
      const settings = settingsOf(this);
      // A calendar date (a birthday) names a day, not an instant: shifting it to a zone west of UTC
      // would print the day before.
      const timeZone =
        zone ?? (typeof value === 'string' && dateOnly.test(value) ? 'UTC' : settings.timeZone);
      return builtInDate.call(this, value, format, timeZone);
    },
  );
  liquid.registerFilter('plural', (value: unknown, ...forms: unknown[]) =>
    pluralForm(toNumber(value) ?? 0, forms.map(String)),
  );
}
