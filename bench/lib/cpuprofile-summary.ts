import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { isMainModule } from './report.js';

/*
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time by package and by function, and inclusive time of
 * the busiest frames. Usage, after a bench run with BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR":
 *   npx tsx bench/lib/cpuprofile-summary.ts DIR [top]
 * It reads the largest profile in DIR (the main thread; tsx's loader thread writes a small one too).
 * Caveat: V8 samples wall-clock ticks, so on a busy machine time spent preempted shows up in whatever native
 * call was running (typically `writev` right after waking Postgres). Compare with the /proc CPU figures.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

function groupOf(url: string): string {
  if (!url) return '(native/vm)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return url.replace(/^node:(?:internal\/)?/, 'node:').split('/')[0]!;
  const own = /\/((?:src|migrations|bench)\/.*)$/.exec(url);
  return own ? own[1]! : url;
}

export function summariseProfile(file: string, top = 40): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfByGroup = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const frame = byId.get(id)!.callFrame;
    const group = groupOf(frame.url);
    selfByGroup.set(group, (selfByGroup.get(group) ?? 0) + dt);
    const fn = `${frame.functionName || '(anonymous)'} ${group}:${frame.lineNumber + 1}`;
    selfByFunction.set(fn, (selfByFunction.get(fn) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      const key = `${f.functionName || '(anonymous)'} ${groupOf(f.url)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
    }
  });
  const pct = (t: number) => `${((t / total) * 100).toFixed(1).padStart(5)}%`;
  const list = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, t]) => `${pct(t)}  ${k}`)
      .join('\n');
  return [
    `${file}: ${(total / 1e6).toFixed(2)} s sampled`,
    '\nself time by package / file',
    list(selfByGroup, 25),
    '\nself time by function',
    list(selfByFunction, top),
    '\ninclusive time',
    list(inclusive, top),
  ].join('\n');
}

if (isMainModule(import.meta.url)) {
  const target = process.argv[2];
  if (!target) {
    console.error('usage: tsx bench/lib/cpuprofile-summary.ts <profile file or folder> [top]');
    process.exit(2);
  }
  const file = statSync(target).isDirectory()
    ? readdirSync(target)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => path.join(target, f))
        .sort((a, b) => statSync(b).size - statSync(a).size)[0]
    : target;
  if (!file) {
    console.error(`no .cpuprofile in ${target}`);
    process.exit(2);
  }
  console.log(summariseProfile(file, Number(process.argv[3] ?? 40)));
}
