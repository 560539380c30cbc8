import { describe, expect, it } from 'vitest';
import { localDateTime } from './local-date-time';

describe('localDateTime', () => {
  it('shows the wall clock of the zone, across a date line and a DST change', () => {
    expect(localDateTime(new Date('2026-11-23T21:30:00Z'), 'Europe/Moscow')).toBe('2026-11-24T00:30:00');
    expect(localDateTime(new Date('2026-03-29T00:59:59Z'), 'Europe/Berlin')).toBe('2026-03-29T01:59:59');
    expect(localDateTime(new Date('2026-03-29T01:00:00Z'), 'Europe/Berlin')).toBe('2026-03-29T03:00:00');
    expect(localDateTime(new Date('2026-01-01T00:00:00Z'), 'Asia/Kamchatka')).toBe('2026-01-01T12:00:00');
  });
});
