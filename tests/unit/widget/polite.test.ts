import { describe, expect, it } from 'vitest';
import { articleUrl, DAY_MS, isCapped, isSupporter, readMarkers, recentViews, supporterUntil } from '../../../src/widget/client/polite.js';

const now = Date.UTC(2026, 10, 28, 12);
const nowS = now / 1000;

describe('frequency cap', () => {
  const cap = { views: 3, days: 7 };
  it('collapses once the appeal was seen `views` times within `days` days', () => {
    expect(isCapped({}, cap, now)).toBe(false);
    expect(isCapped({ views: [now - 1, now - 2] }, cap, now)).toBe(false);
    expect(isCapped({ views: [now - 1, now - 2, now - 3] }, cap, now)).toBe(true);
  });
  it('forgets views older than the window, in the future, or not numbers', () => {
    const v = [now - 8 * DAY_MS, now - 7 * DAY_MS, now - 6 * DAY_MS, now + DAY_MS, 'x' as unknown as number];
    expect(recentViews({ views: v }, 7, now)).toEqual([now - 6 * DAY_MS]);
    expect(isCapped({ views: v }, cap, now)).toBe(false);
    expect(recentViews({ views: 'junk' as unknown as number[] }, 7, now)).toEqual([]);
  });
  it('never caps without a cap', () => {
    expect(isCapped({ views: [now] }, undefined, now)).toBe(false);
    expect(isCapped({ views: [now] }, { views: 0, days: 7 }, now)).toBe(false);
  });
});

describe('supporter recognition', () => {
  it('takes favour-until in unix seconds, capped at 400 days from now', () => {
    expect(supporterUntil(String(nowS + 3600), now)).toBe(nowS + 3600);
    expect(supporterUntil(String(nowS + 1000 * 86400), now)).toBe(nowS + 400 * 86400);
  });
  it('ignores a missing, malformed or past favour-until', () => {
    for (const bad of [null, undefined, '', 'soon', '-5', '1e12', String(nowS - 1), String(nowS), '12345678901234']) {
      expect(supporterUntil(bad, now)).toBeUndefined();
    }
  });
  it('is a supporter until that time', () => {
    expect(isSupporter({ supporterUntil: nowS + 1 }, now)).toBe(true);
    expect(isSupporter({ supporterUntil: nowS }, now)).toBe(false);
    expect(isSupporter({}, now)).toBe(false);
  });
});

describe('page URL markers', () => {
  it('reads ?favour=thanks&favour-until= and gives the URL without them (keeping others and the hash)', () => {
    const marks = readMarkers('https://news.example/a?x=1&favour=thanks&favour-until=1800000000#comments');
    expect(marks).toMatchObject({ thanks: true, cancelled: false, until: '1800000000', variant: null });
    expect(marks.stripped).toBe('https://news.example/a?x=1#comments');
  });
  it('reads which publication the return is for, and strips that too', () => {
    const marks = readMarkers('https://news.example/a?favour=thanks&favour-until=1800000000&favour-publication=italia');
    expect(marks).toMatchObject({ thanks: true, pub: 'italia' });
    expect(marks.stripped).toBe('https://news.example/a');
  });
  it('reads ?favour=cancelled and strips it', () => {
    const marks = readMarkers('https://news.example/a?favour=cancelled');
    expect(marks).toMatchObject({ thanks: false, cancelled: true });
    expect(marks.stripped).toBe('https://news.example/a');
  });
  it('keeps ?favour-variant= in the URL (a preview link stays a preview on reload)', () => {
    const marks = readMarkers('https://news.example/a?favour-variant=plea-b');
    expect(marks.variant).toBe('plea-b');
    expect(marks.stripped).toBeUndefined();
  });
  it('has nothing to strip on an ordinary page', () => {
    expect(readMarkers('https://news.example/a?utm_source=x').stripped).toBeUndefined();
  });
});

describe('articleUrl', () => {
  it('drops the hash and every favour* parameter, nothing else', () => {
    expect(articleUrl('https://news.example/2026/story?id=7&favour-variant=b&favour=thanks&favourite=1#top')).toBe(
      'https://news.example/2026/story?id=7&favourite=1',
    );
    expect(articleUrl('https://news.example/story')).toBe('https://news.example/story');
  });
});
