import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('gives working defaults for a newcomer', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      publicUrl: 'http://localhost:3000',
      databaseUrl: undefined,
      stripeSecretKey: undefined,
      stripeWebhookSecret: undefined,
      stripeApi: undefined,
      logLevel: 'info',
      nodeEnv: 'development',
    });
    expect(config.dataDir).toMatch(/\/data$/);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('derives PUBLIC_URL from PORT and trims a trailing slash', () => {
    expect(loadConfig({ PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    expect(loadConfig({ PUBLIC_URL: 'https://support.example.org/' }).publicUrl).toBe('https://support.example.org');
  });

  it('treats empty values as unset (as in a copied .env.example)', () => {
    expect(loadConfig({ DATABASE_URL: '', STRIPE_SECRET_KEY: '  ', PORT: '' })).toMatchObject({
      databaseUrl: undefined,
      stripeSecretKey: undefined,
      port: 3000,
    });
  });

  it('splits STRIPE_API_URL into host, port and protocol for the SDK', () => {
    expect(loadConfig({ STRIPE_API_URL: 'http://127.0.0.1:12111' }).stripeApi).toEqual({
      host: '127.0.0.1',
      port: 12111,
      protocol: 'http',
    });
    expect(loadConfig({ STRIPE_API_URL: 'https://stripe.internal' }).stripeApi).toEqual({
      host: 'stripe.internal',
      port: 443,
      protocol: 'https',
    });
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        STRIPE_SECRET_KEY: 'pk_test_123',
        STRIPE_WEBHOOK_SECRET: 'nope',
        LOG_LEVEL: 'loud',
        PUBLIC_URL: 'ftp://x',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'LOG_LEVEL', 'PUBLIC_URL']) {
      expect(problems).toContain(name);
    }
    expect((error as Error).message).not.toContain('pk_test_123');
  });
});
