import type * as vl from 'vega-lite';
import type { PlotSpec } from './plots';
import { meanStd } from './stats';
import type { SummaryGroup, TsbdRuns } from './summary';

const METRICS = ['ACC', 'ASR'] as const;

/** One layer of the plot: its own data, a mark and an encoding. */
interface Layer {
  data: { values: Record<string, string | number>[] };
  mark: { type: 'line' | 'point' | 'rule' } & Record<string, unknown>;
  encoding: Record<string, unknown>;
}

const of = (m: (typeof METRICS)[number], r: { acc: number; asr: number }): number => (m === 'ACC' ? r.acc : r.asr);

const ascending = (xs: Iterable<number>): number[] => [...new Set(xs)].sort((a, b) => a - b);

const y = (field: string): Record<string, unknown> => ({ field, type: 'quantitative', title: 'test ACC / ASR after TSBD', scale: { domain: [0, 1] } });
const color = { field: 'metric', type: 'nominal', title: null, scale: { domain: [...METRICS] } };
const FIXED = 'fixed n (each seed)';
const AUTO = 'chosen n (each seed)';

/**
 * One attack's TSBD plot over n, as a vega-lite spec, or null when the attack has no tsbd cell with a usable n:
 * - the fixed-n cells: a line through the mean (over seeds) test ACC and ASR after purification at each n (a small
 *   filled dot at each mean), and each seed's value as a hollow circle;
 * - the auto cells: each seed's chosen n and its ACC and ASR after as filled diamonds, and a dashed rule at the mean
 *   chosen n.
 * Either part is left out when it has no cell.
 */
export function nCurveSpec(g: SummaryGroup, attack: string): PlotSpec | null {
  const runs = g.tsbd.get(attack);
  if (runs === undefined || runs.auto.length + runs.fixed.length === 0) return null;
  const layers: Layer[] = [];
  // One legend for the two kinds of point: hollow circles for fixed n, filled diamonds for the auto-chosen n.
  const kinds: [string, string][] = [];
  if (runs.fixed.length > 0) kinds.push([FIXED, 'circle']);
  if (runs.auto.length > 0) kinds.push([AUTO, 'diamond']);
  const shape = { field: 'cells', type: 'nominal', title: null, scale: { domain: kinds.map((k) => k[0]), range: kinds.map((k) => k[1]) }, legend: { labelLimit: 400 } };
  // n from 0 to at least 0.5 (the largest default candidate), so that plots of different attacks line up.
  const maxN = Math.max(0.5, ...runs.fixed.map((r) => r.n), ...runs.auto.map((r) => r.n));
  const x = { field: 'n', type: 'quantitative', title: 're-initialisation fraction n', scale: { domain: [0, maxN] } };
  if (runs.fixed.length > 0) {
    const means = ascending(runs.fixed.map((r) => r.n)).flatMap((n) =>
      METRICS.map((metric) => ({ n, metric, mean: meanStd(runs.fixed.filter((r) => r.n === n).map((r) => of(metric, r))).mean })),
    );
    const seeds = runs.fixed.flatMap((r) => METRICS.map((metric) => ({ n: r.n, metric, seed: r.seed, value: of(metric, r), cells: FIXED })));
    layers.push(
      { data: { values: means }, mark: { type: 'line', point: { filled: true, size: 30 } }, encoding: { x, y: y('mean'), color } },
      { data: { values: seeds }, mark: { type: 'point', size: 40, opacity: 0.8 }, encoding: { x, y: y('value'), color, shape } },
    );
  }
  if (runs.auto.length > 0) {
    const chosen = runs.auto.flatMap((r) => METRICS.map((metric) => ({ n: r.n, metric, seed: r.seed, value: of(metric, r), cells: AUTO })));
    const meanN = meanStd(runs.auto.map((r) => r.n)).mean;
    layers.push(
      { data: { values: chosen }, mark: { type: 'point', filled: true, size: 100 }, encoding: { x, y: y('value'), color, shape } },
      { data: { values: [{ n: meanN }] }, mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' }, encoding: { x } },
    );
  }
  const where = `${g.dataset}, ${g.arch}, rate ${g.rate}`;
  return {
    name: `${attack}-tsbd-n`.replace(/[^A-Za-z0-9.-]+/g, '_'),
    spec: { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', title: `TSBD against ${attack}: ACC and ASR over n (${where})`, layer: layers } as vl.TopLevelSpec,
  };
}

/** The Markdown caption of {@link nCurveSpec}'s plot: what it draws, given which cells exist. */
export function nCurveCaption(runs: TsbdRuns): string {
  const fixedNs = ascending(runs.fixed.map((r) => r.n));
  const parts: string[] = [];
  if (fixedNs.length > 0) {
    parts.push(`lines and dots: mean test ACC and ASR after TSBD with n fixed at ${fixedNs.join(', ')}, over seeds; hollow circles: each seed`);
  }
  if (runs.auto.length > 0) parts.push("filled diamonds: each seed's auto-chosen n and its ACC and ASR; dashed rule: the mean chosen n");
  if (fixedNs.length === 0) parts.push('no fixed-n cells, so no curve');
  if (runs.auto.length === 0) parts.push('no auto-n cell');
  return `${parts.join('; ')}.`;
}

/**
 * The report's section on TSBD's n for one group: a table with each attack's chosen n and probes per seed (from the
 * auto cells) and the fixed n values that were run, or '' when the group has no tsbd cell.
 */
export function nCurveTable(g: SummaryGroup): string {
  const attacks = g.attacks.filter((a) => g.tsbd.has(a));
  if (attacks.length === 0) return '';
  const lines = [
    `#### TSBD's re-initialisation fraction n (${g.dataset}, ${g.arch}, poison rate ${g.rate})`,
    '',
    "`tsbd` (the defense) chooses n from the defender's clean set. Cells with n fixed (`tsbd n=x`) are run only to draw",
    'ACC and ASR over n: they are not in the table above, since an n chosen by reading test ASR would break the',
    'clean-data-only rule.',
    '',
    '| attack | chosen n per seed | probes per seed | fixed n run |',
    '|---|---|---|---|',
  ];
  for (const attack of attacks) {
    const runs = g.tsbd.get(attack) as TsbdRuns;
    const auto = [...runs.auto].sort((a, b) => a.seed - b.seed);
    const perSeed = (f: (r: TsbdRuns['auto'][number]) => string): string => (auto.length === 0 ? '–' : auto.map((r) => `${f(r)} (seed ${r.seed})`).join(', '));
    const fixed = ascending(runs.fixed.map((r) => r.n));
    lines.push(`| ${attack} | ${perSeed((r) => String(r.n))} | ${perSeed((r) => (r.probes === null ? '–' : String(r.probes)))} | ${fixed.length === 0 ? '–' : fixed.join(', ')} |`);
  }
  return `${lines.join('\n')}\n`;
}
