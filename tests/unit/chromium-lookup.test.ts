import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findChromium } from '../helpers/chromium.js';

describe('finding a browser for the browser tests', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'favour-chromium-'));
  const fake = (name: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, '#!/bin/sh\n');
    chmodSync(file, 0o755);
    return file;
  };

  it('takes CHROMIUM_PATH first, then chromium, chromium-browser or google-chrome on PATH', () => {
    expect(findChromium({ CHROMIUM_PATH: '/opt/chrome/chrome', PATH: dir })).toBe('/opt/chrome/chrome');
    const chrome = fake('google-chrome');
    expect(findChromium({ PATH: `/nowhere${path.delimiter}${dir}` })).toBe(chrome);
    const chromiumBrowser = fake('chromium-browser');
    expect(findChromium({ PATH: dir })).toBe(chromiumBrowser);
  });

  it('finds nothing on an empty PATH (off macOS), so the browser tests are left out with a note', () => {
    if (process.platform === 'darwin') return;
    expect(findChromium({ PATH: mkdtempSync(path.join(tmpdir(), 'favour-empty-')) })).toBeUndefined();
  });
});
