// What one browser remembers about one publication, in localStorage (never cookies). Stored under
// "favour:<slug>" with one-letter keys: the format readers' browsers already hold, so a supporter stays one.
import type { ReaderMemory } from './polite.js';

const STORED_KEYS: Record<keyof ReaderMemory, string> = {
  bucket: 'b',
  views: 'v',
  supporterUntil: 's',
  cap: 'c',
  height: 'h',
  fallback: 'f',
  accent: 'a',
  goal: 'g',
  upsellOffered: 'u',
};

// localStorage may be missing or throw (Safari private mode, sandboxed iframes): then the widget forgets.
export function loadMemory(publication: string): ReaderMemory {
  const memory: Record<string, unknown> = {};
  try {
    const stored: unknown = JSON.parse(localStorage.getItem('favour:' + publication) || '{}');
    if (stored && typeof stored == 'object')
      for (const [name, key] of Object.entries(STORED_KEYS)) memory[name] = (stored as Record<string, unknown>)[key];
  } catch {
    /* no memory */
  }
  return memory as ReaderMemory;
}

export function saveMemory(publication: string, memory: ReaderMemory): void {
  const stored: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(STORED_KEYS)) stored[key] = memory[name as keyof ReaderMemory];
  try {
    localStorage.setItem('favour:' + publication, JSON.stringify(stored));
  } catch {
    /* private mode: no memory */
  }
}
