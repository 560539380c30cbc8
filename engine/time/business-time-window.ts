import { z } from 'zod';

/**
 * How far a command's business time may lie from the moment it is recorded. Offline tills sync days
 * late and till clocks drift by minutes; nothing legitimate is a century away.
 */
export const businessTimeWindowSchema = z
  .object({
    /** Days a business time may lie before the recording time (offline checks synced late). */
    pastDays: z.int().min(0).max(3660).default(30),
    /** Minutes a business time may lie after the recording time (a till's clock running fast). */
    futureMinutes: z.int().min(0).max(527_040).default(15),
  })
  .strict();
export type BusinessTimeWindow = z.infer<typeof businessTimeWindowSchema>;

const minute = 60_000;

/** Why `at` is outside the window around `recordedAt`, or null when it is inside. */
export function outsideWindow(at: Date, recordedAt: Date, window: BusinessTimeWindow): string | null {
  if (Number.isNaN(at.getTime())) return 'is not a date-time';
  const earliest = recordedAt.getTime() - window.pastDays * 1440 * minute;
  const latest = recordedAt.getTime() + window.futureMinutes * minute;
  if (at.getTime() < earliest)
    return `is more than ${window.pastDays} days before now (${recordedAt.toISOString()}); the program accepts business times from ${new Date(earliest).toISOString()}`;
  if (at.getTime() > latest)
    return `is more than ${window.futureMinutes} minutes after now (${recordedAt.toISOString()}); check the till's clock`;
  return null;
}
