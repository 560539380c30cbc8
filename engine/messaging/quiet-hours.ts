import { localDateTime } from '../time/local-date-time';

/** Quiet hours: a local window (may wrap midnight) in which marketing messages wait. */
export interface QuietHours {
  from: string;
  to: string;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * When a marketing message due at `at` may go out in the customer's zone: `at` itself outside quiet
 * hours, else the first instant the window ends (`to` local time). Computed by stepping whole minutes
 * in UTC and reading the wall clock, so a daylight-saving change inside the window is handled by the
 * zone data rather than by arithmetic on offsets.
 */
export function quietHoursRelease(at: Date, timeZone: string, quiet: QuietHours | null): Date {
  if (!quiet || quiet.from === quiet.to) return at;
  const from = minutesOf(quiet.from);
  const to = minutesOf(quiet.to);
  const local = localDateTime(at, timeZone);
  const now = Number(local.slice(11, 13)) * 60 + Number(local.slice(14, 16));
  const inside = from < to ? now >= from && now < to : now >= from || now < to;
  if (!inside) return at;
  const wait = (to - now + 24 * 60) % (24 * 60);
  // Start of the current local minute + the wait; then correct for an offset change in between.
  const start = new Date(at.getTime() - (at.getTime() % 60_000) + wait * 60_000);
  const seen = localDateTime(start, timeZone);
  const raw = Number(seen.slice(11, 13)) * 60 + Number(seen.slice(14, 16)) - to;
  // The offset moved by `drift` minutes (±12 h at most) between now and the end of the window.
  const drift = ((((raw + 720) % 1440) + 1440) % 1440) - 720;
  const corrected = new Date(start.getTime() - drift * 60_000);
  return corrected < at ? at : corrected;
}
