// Line charts with uPlot (canvas; it positions its own elements through CSSOM, which the strict CSP
// allows). Colours come from the stylesheet's custom properties, so light and dark themes both work;
// the chart follows its container's width (ResizeObserver) and redraws when the colour scheme changes.
import uPlot from 'uplot';
import { formatCount, formatCountCompact, formatMoney, formatMoneyCompact, toMajor } from './format.js';

export interface LineSeries {
  label: string;
  /** Money series: values are minor units of this currency (plotted in major units). Counts otherwise. */
  currency?: string;
  values: number[];
}

export interface ChartSpec {
  /** Period starts, YYYY-MM-DD. */
  periods: string[];
  series: LineSeries[];
  /** Monthly buckets label the axis with months. */
  monthly: boolean;
  /** The legend's name for a period: "Week of", "Month", "Day". */
  label: string;
  locale: string | undefined;
}

const css = (name: string, fallback: string): string =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
const seconds = (day: string): number => Date.parse(`${day}T00:00:00Z`) / 1000;
const utcFormat = (locale: string | undefined, options: Intl.DateTimeFormatOptions) =>
  new Intl.DateTimeFormat(locale, { timeZone: 'UTC', ...options });

export class LineChart {
  private plot: uPlot | undefined;
  private spec: ChartSpec | undefined;
  private readonly observer: ResizeObserver;
  private readonly scheme = matchMedia('(prefers-color-scheme: dark)');
  private readonly onScheme = () => this.spec && this.draw(this.spec);
  private width = 0;

  constructor(private readonly container: HTMLElement) {
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(container);
    this.scheme.addEventListener('change', this.onScheme);
  }

  private height(): number {
    return this.container.clientWidth < 520 ? 220 : 260;
  }

  private resize(): void {
    const width = Math.floor(this.container.clientWidth);
    if (!this.plot || width === this.width || width <= 0) return;
    this.width = width;
    this.plot.setSize({ width, height: this.height() });
  }

  draw(spec: ChartSpec): void {
    this.spec = spec;
    this.plot?.destroy();
    this.container.replaceChildren();
    this.width = Math.max(Math.floor(this.container.clientWidth), 240);
    const { locale } = spec;
    const axis = css('--chart-axis', '#5b6470');
    const grid = css('--chart-grid', 'rgba(0,0,0,.08)');
    const colours = [1, 2, 3, 4, 5, 6].map((i) => css(`--series-${i}`, '#0b5cad'));
    const money = spec.series.find((s) => s.currency)?.currency;
    const dayLabel = utcFormat(locale, { day: 'numeric', month: 'short' });
    const monthLabel = utcFormat(locale, { month: 'short', year: 'numeric' });
    const fullDay = utcFormat(locale, { dateStyle: 'medium' });
    const few = spec.periods.length <= 40;
    const xs = spec.periods.map(seconds);
    const last = xs.length - 1;
    // Without a cursor over the chart, the legend shows the latest period's values.
    const at = (idx: number | null | undefined) => (idx == null ? last : idx);
    const periodLabel = spec.monthly ? monthLabel : fullDay;

    const options: uPlot.Options = {
      width: this.width,
      height: this.height(),
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'UTC'),
      padding: [12, 28, 0, 4],
      cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 7 } },
      legend: { show: true, live: true, markers: { width: 0, fill: (_u, i) => colours[(i - 1) % colours.length]! } },
      scales: {
        x: { time: true },
        y: {
          range: (_u, min, max) => {
            const low = Math.min(0, min ?? 0);
            const high = Math.max(max ?? 0, low);
            return [low, high <= low ? low + (money ? 10 : 4) : high + (high - low) * 0.08];
          },
        },
      },
      series: [
        { label: spec.label, value: (_u, _ts, _series, idx) => (last < 0 ? '—' : periodLabel.format(xs[at(idx)]! * 1000)) },
        ...spec.series.map((s, i): uPlot.Series => ({
          label: s.label,
          stroke: colours[i % colours.length],
          width: 2,
          points: { show: few, size: 5, fill: colours[i % colours.length] },
          value: (_u, _v, _series, idx) => {
            const v = s.values[at(idx)];
            if (v === undefined) return '—';
            return s.currency ? formatMoney(v, s.currency, locale) : formatCount(v, locale);
          },
        })),
      ],
      axes: [
        {
          stroke: axis,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1, size: 4 },
          size: 34,
          font: '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
          // Ticks on the periods themselves (every n-th when they would crowd), labelled as the API's buckets.
          splits: (u) => {
            const room = Math.max(2, Math.floor(u.bbox.width / uPlot.pxRatio / (spec.monthly ? 76 : 64)));
            const step = Math.ceil(xs.length / room);
            return xs.filter((_, i) => i % step === 0);
          },
          values: (_u, splits) => splits.map((ts) => (spec.monthly ? monthLabel : dayLabel).format(ts * 1000)),
        },
        {
          stroke: axis,
          grid: { stroke: grid, width: 1 },
          ticks: { show: false },
          font: '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
          size: this.container.clientWidth < 520 ? 50 : 64,
          space: 36,
          // Counts of people come in whole steps; money in any nice step.
          ...(money ? {} : { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000] }),
          // One currency: its symbol on the axis. Several: plain numbers (each line is in its own currency).
          values: (_u, splits) =>
            splits.map((v) => (money && spec.series.length === 1 ? formatMoneyCompact(v, money, locale) : formatCountCompact(v, locale))),
        },
      ],
    };
    const data: uPlot.AlignedData = [xs, ...spec.series.map((s) => s.values.map((v) => (s.currency ? toMajor(v, s.currency) : v)))];
    this.plot = new uPlot(options, data, this.container);
  }

  destroy(): void {
    this.observer.disconnect();
    this.scheme.removeEventListener('change', this.onScheme);
    this.plot?.destroy();
  }
}
