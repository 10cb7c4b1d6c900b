import { describe, expect, it } from 'vitest';
import { defaultCurrencySettings } from '../../../src/publications/currency-defaults.js';
import { demoPublicationInput, PublicationError, validatePublication } from '../../../src/publications/publication.service.js';

const base = () => ({
  slug: 'il-favore',
  name: 'Il Favore',
  origins: ['https://favore.example/some/path'],
  currencies: { eur: { min: 200, max: 50_000, presets: { once: [500, 1000] } } },
  default_currency: 'eur',
  intervals: ['once', 'month', 'once'],
  default_locale: 'it',
  time_zone: 'Europe/Rome',
});

function problems(input: unknown): string {
  try {
    validatePublication(input);
  } catch (err) {
    expect(err).toBeInstanceOf(PublicationError);
    return (err as Error).message;
  }
  throw new Error('expected the publication to be rejected');
}

describe('publication validation', () => {
  it('normalises origins to scheme://host[:port] and de-duplicates intervals', () => {
    const p = validatePublication(base());
    expect(p.origins).toEqual(['https://favore.example']);
    expect(p.intervals).toEqual(['once', 'month']);
  });

  it.each([
    ['slug', { slug: 'Il Favore!' }, 'slug'],
    ['origin protocol', { origins: ['javascript:alert(1)'] }, 'origins.0'],
    ['no origins', { origins: [] }, 'origins'],
    ['unknown currency', { currencies: { xxq: { min: 100, max: 200, presets: {} } }, default_currency: 'xxq' }, 'currencies'],
    ['default currency not accepted', { default_currency: 'usd' }, 'default_currency'],
    ['max below min', { currencies: { eur: { min: 5000, max: 100, presets: {} } } }, 'currencies.eur.max'],
    ['min below Stripe minimum', { currencies: { eur: { min: 10, max: 100, presets: {} } } }, 'currencies.eur.min'],
    [
      'preset outside bounds',
      { currencies: { eur: { min: 200, max: 1000, presets: { once: [100_000] } } } },
      'currencies.eur.presets.once',
    ],
    ['fractional amount', { currencies: { eur: { min: 200.5, max: 1000, presets: {} } } }, 'currencies.eur.min'],
    ['time zone', { time_zone: 'Mars/Olympus' }, 'time_zone'],
    ['interval', { intervals: ['weekly'] }, 'intervals.0'],
    ['unknown field', { colour: 'red' }, 'colour'],
  ])('rejects a bad %s, naming it', (_what, change, path) => {
    expect(problems({ ...base(), ...change })).toContain(path);
  });

  it('gives every default currency Stripe-valid limits and presets within them', () => {
    for (const code of ['eur', 'usd', 'gbp', 'jpy', 'rsd', 'huf', 'chf']) {
      const settings = defaultCurrencySettings(code);
      expect(() => validatePublication({ ...base(), currencies: { [code]: settings }, default_currency: code })).not.toThrow();
    }
  });

  it('makes a valid demo publication on the public URL', () => {
    expect(demoPublicationInput('http://localhost:3000')).toMatchObject({
      slug: 'demo',
      origins: ['http://localhost:3000'],
      default_currency: 'eur',
    });
  });
});
