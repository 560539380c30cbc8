import { describe, expect, it } from 'vitest';
import { quietHoursRelease } from './quiet-hours';

const quiet = { from: '21:00', to: '09:00' };

describe('quiet hours', () => {
  it('lets a message due outside the window go at once', () => {
    const at = new Date('2026-03-10T10:00:00Z'); // 13:00 in Moscow
    expect(quietHoursRelease(at, 'Europe/Moscow', quiet)).toEqual(at);
  });

  it('delays a message due at 23:30 local until 09:00 local the next morning', () => {
    const at = new Date('2026-03-10T20:30:00Z'); // 23:30 in Moscow (UTC+3)
    expect(quietHoursRelease(at, 'Europe/Moscow', quiet).toISOString()).toBe('2026-03-11T06:00:00.000Z');
  });

  it('delays a message due at 02:00 local until 09:00 the same morning', () => {
    const at = new Date('2026-03-10T23:00:00Z'); // 02:00 on the 11th in Moscow
    expect(quietHoursRelease(at, 'Europe/Moscow', quiet).toISOString()).toBe('2026-03-11T06:00:00.000Z');
  });

  it('reads the window in the customer zone, not the server one', () => {
    const at = new Date('2026-03-10T20:30:00Z'); // 23:30 Moscow, 06:30 next day in Vladivostok (UTC+10)
    expect(quietHoursRelease(at, 'Asia/Vladivostok', quiet).toISOString()).toBe('2026-03-10T23:00:00.000Z');
  });

  it('ends at 09:00 local across a daylight-saving change inside the window', () => {
    // Berlin moves from UTC+1 to UTC+2 at 02:00 on 29 March 2026.
    const at = new Date('2026-03-28T21:30:00Z'); // 22:30 local, UTC+1
    expect(quietHoursRelease(at, 'Europe/Berlin', quiet).toISOString()).toBe('2026-03-29T07:00:00.000Z');
  });

  it('handles a window that does not wrap midnight and no quiet hours at all', () => {
    const at = new Date('2026-03-10T12:30:00Z'); // 15:30 Moscow
    expect(quietHoursRelease(at, 'Europe/Moscow', { from: '14:00', to: '16:00' }).toISOString()).toBe(
      '2026-03-10T13:00:00.000Z',
    );
    expect(quietHoursRelease(at, 'Europe/Moscow', null)).toEqual(at);
  });
});
