/**
 * The `favour` command as users run it: through a link npm makes (node_modules/.bin/favour, a global install)
 * and as `npx favour` in the project folder, whatever the path or link node is started with.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), 'favour-bin-'));
const env = { ...process.env, DATA_DIR: path.join(scratch, 'data'), DATABASE_URL: '' };

beforeAll(() => {
  // The bin runs the compiled CLI, as after `npm install`: compile this checkout's sources first.
  const built = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  expect(built.status, built.stdout + built.stderr).toBe(0);
}, 120_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the favour bin', () => {
  it('prints its help through a link with another path, as npm links bins', () => {
    const link = path.join(scratch, 'favour');
    symlinkSync(path.join(root, 'bin', 'favour.js'), link);
    const run = spawnSync(link, ['--help'], { cwd: scratch, env, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('Usage: favour');
    expect(run.stdout).toContain('events');
  });

  it('works as `npx favour …` from the project folder, and exits non-zero on an error', () => {
    const help = spawnSync('npx', ['favour', 'events', '--help'], { cwd: root, env, encoding: 'utf8' });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: favour events');
    const list = spawnSync('npx', ['favour', 'events', 'list', '--failed'], { cwd: root, env, encoding: 'utf8' });
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout.split('\n')[0]).toBe('id\ttype\tstatus\toutcome\tattempts\treceived\tnext attempt\terror');
    const wrong = spawnSync('npx', ['favour', 'key', 'create', 'no-such-publication'], { cwd: root, env, encoding: 'utf8' });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('No publication with slug "no-such-publication"');
  });
});
