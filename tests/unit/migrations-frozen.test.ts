import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// A migration is history: what it ran must not change when other code does. So each one is literal SQL and
// imports nothing but Kysely (the index lists them).
const dir = path.resolve(import.meta.dirname, '../../migrations');

describe('migrations', () => {
  it.each(readdirSync(dir).filter((f) => f !== 'index.ts' && f.endsWith('.ts')))('%s imports only kysely', (file) => {
    const imports = [...readFileSync(path.join(dir, file), 'utf8').matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports).toEqual(['kysely']);
  });
});
