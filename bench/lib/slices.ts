import type { CpuBreakdown } from './proc.js';
import { type LatencySummary, summarize } from './stats.js';

/*
 * Floor and service are measured in alternating slices (floor, service, floor, service …) rather than one long
 * phase each: on a shared machine other work comes and goes, and alternating makes both sides see the same
 * background, so their ratio stays meaningful even when the absolute figures do not.
 */

export interface SliceOutcome {
  completed: number;
  errors: number;
  durationMs: number;
  samples: Float64Array;
  errorSamples: string[];
  statuses?: Record<string, number>;
}

export interface Measured {
  completed: number;
  errors: number;
  durationMs: number;
  /** Completed per second over the summed duration of the slices. */
  rate: number;
  latency: LatencySummary;
  statuses: Record<string, number>;
  errorSamples: string[];
  cpu: CpuBreakdown;
  slices: number;
}

const ZERO_CPU: CpuBreakdown = {
  benchMs: 0,
  benchSystemMs: 0,
  serverMs: 0,
  serverSystemMs: 0,
  stubMs: 0,
  postgresMs: 0,
  otherMs: 0,
  machineBusyMs: 0,
  machineBusyShare: 0,
  machineMs: 0,
};

/** Sums the slices of one side (floor or service). */
export class SliceAccumulator {
  private parts: Float64Array[] = [];
  private completed = 0;
  private errors = 0;
  private durationMs = 0;
  private statuses: Record<string, number> = {};
  private errorSamples: string[] = [];
  private cpu: CpuBreakdown = { ...ZERO_CPU };
  private slices = 0;

  add(slice: SliceOutcome, cpu: CpuBreakdown): void {
    this.slices++;
    this.parts.push(Float64Array.from(slice.samples));
    this.completed += slice.completed;
    this.errors += slice.errors;
    this.durationMs += slice.durationMs;
    for (const [status, n] of Object.entries(slice.statuses ?? {})) this.statuses[status] = (this.statuses[status] ?? 0) + n;
    for (const sample of slice.errorSamples) if (this.errorSamples.length < 5) this.errorSamples.push(sample);
    const sum = { ...this.cpu };
    for (const key of Object.keys(sum) as (keyof CpuBreakdown)[]) sum[key] += cpu[key];
    sum.machineBusyShare = sum.machineMs > 0 ? sum.machineBusyMs / sum.machineMs : 0;
    this.cpu = sum;
  }

  result(): Measured {
    const all = new Float64Array(this.parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of this.parts) {
      all.set(part, at);
      at += part.length;
    }
    return {
      completed: this.completed,
      errors: this.errors,
      durationMs: this.durationMs,
      rate: this.durationMs > 0 ? (this.completed * 1000) / this.durationMs : 0,
      latency: summarize(all),
      statuses: this.statuses,
      errorSamples: this.errorSamples,
      cpu: this.cpu,
      slices: this.slices,
    };
  }
}
