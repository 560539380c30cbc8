/**
 * Calendar arithmetic for time-relative conditions, on local dates (YYYY-MM-DD, the program's time
 * zone): the compiler turns "aged 25–40" and "a birthday within 7 days" into plain comparisons the
 * planner can use, computed once per query from today's date.
 */

function pad(year: number): string {
  return String(year).padStart(4, '0');
}

/**
 * Birth-date bounds (as YYYY-MM-DD strings, compared as text) for whole years of age on `today`:
 * aged at least `min` ⟺ born on or before `atLeast`, aged at most `max` ⟺ born after `bornAfter`.
 * A 29 February birth date counts its years as in `childAgeOn` (a year is full on 1 March).
 */
export function birthDateBounds(
  today: string,
  years: { min?: number | undefined; max?: number | undefined },
): { onOrBefore?: string; after?: string } {
  const y = Number(today.slice(0, 4));
  const monthDay = today.slice(4);
  return {
    ...(years.min !== undefined ? { onOrBefore: `${pad(y - years.min)}${monthDay}` } : {}),
    ...(years.max !== undefined ? { after: `${pad(y - years.max - 1)}${monthDay}` } : {}),
  };
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * The month-days (MM-DD) of birthdays falling from `today` through `withinDays` days after it. In a
 * common year a 29 February birthday is kept on 1 March.
 */
export function birthdayMonthDays(today: string, withinDays: number): string[] {
  const start = Date.UTC(
    Number(today.slice(0, 4)),
    Number(today.slice(5, 7)) - 1,
    Number(today.slice(8, 10)),
  );
  const days = new Set<string>();
  for (let i = 0; i <= withinDays; i += 1) {
    const d = new Date(start + i * 86_400_000);
    const monthDay = d.toISOString().slice(5, 10);
    days.add(monthDay);
    if (monthDay === '03-01' && !isLeap(d.getUTCFullYear())) days.add('02-29');
  }
  return [...days].sort();
}
