import { describe, expect, it } from 'vitest';
import { localDay } from '../../../src/widget/widget.service.js';

describe('localDay', () => {
  it('turns at local midnight, to the millisecond, in whole-hour and 45-minute zones alike', () => {
    expect(localDay(new Date('2026-12-06T22:59:59.999Z'), 'Europe/Rome')).toBe('2026-12-06');
    expect(localDay(new Date('2026-12-06T23:00:00.000Z'), 'Europe/Rome')).toBe('2026-12-07');
    // Kathmandu is UTC+05:45: its midnight is 18:15 UTC.
    expect(localDay(new Date('2026-12-06T18:14:59.999Z'), 'Asia/Kathmandu')).toBe('2026-12-06');
    expect(localDay(new Date('2026-12-06T18:15:00.000Z'), 'Asia/Kathmandu')).toBe('2026-12-07');
    // Back in time too (a test clock, a replay).
    expect(localDay(new Date('2026-12-06T18:14:00.000Z'), 'Asia/Kathmandu')).toBe('2026-12-06');
  });
});
