import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { SummaryGroup } from './summary';

/** A plot of the report: its file name (without .svg) and its vega-lite spec. */
export interface PlotSpec {
  name: string;
  spec: vl.TopLevelSpec;
}

type Row = Record<string, string | number>;

const point = (title: string, values: Row[], encoding: Record<string, unknown>): vl.TopLevelSpec =>
  ({ $schema: 'https://vega.github.io/schema/vega-lite/v5.json', title, data: { values }, mark: { type: 'point', filled: true, size: 80 }, encoding }) as vl.TopLevelSpec;

/**
 * The report's plots for one group, as vega-lite specs (one mark per data row):
 * - `acc-vs-asr`: per defense and attack, mean ACC against mean ASR after the defense;
 * - `der-by-attack`: mean DER per attack, a bar per defense;
 * - `retune-asr`: mean ASR after each retuning attack, per defense and for the clean-trained model (the yardstick).
 * TSBD's plots over n, one per attack, are in n_curve.ts.
 */
export function plotSpecs(g: SummaryGroup): PlotSpec[] {
  const pairs = g.attacks.flatMap((attack) => g.defenses.flatMap((defense) => {
    const c = g.cells.get(`${attack}/${defense}`);
    return c === undefined ? [] : [{ attack, defense, acc: c.acc.mean, asr: c.asr.mean, der: c.der.mean }];
  }));
  const retune: Row[] = g.attacks.flatMap((attack) => [
    ...g.defenses.flatMap((defense) => [...(g.cells.get(`${attack}/${defense}`)?.retune ?? new Map())].map(([k, s]) => ({ attack, model: defense, k: `K = ${k}`, asr: s.mean }))),
    ...[...(g.reference.get(attack)?.retune ?? new Map())].map(([k, s]) => ({ attack, model: 'clean-trained', k: `K = ${k}`, asr: s.mean })),
  ]);
  const where = `${g.dataset}, ${g.arch}, rate ${g.rate}`;
  return [
    {
      name: 'acc-vs-asr',
      spec: point(`ACC against ASR after each defense (${where})`, pairs, {
        x: { field: 'asr', type: 'quantitative', title: 'ASR after', scale: { domain: [0, 1] } },
        y: { field: 'acc', type: 'quantitative', title: 'ACC after', scale: { zero: false } },
        color: { field: 'defense', type: 'nominal' },
        shape: { field: 'attack', type: 'nominal' },
      }),
    },
    {
      name: 'der-by-attack',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        title: `DER by attack (${where}; 0.5 = no change)`,
        data: { values: pairs },
        mark: 'bar',
        encoding: {
          x: { field: 'attack', type: 'nominal' },
          xOffset: { field: 'defense', type: 'nominal' },
          y: { field: 'der', type: 'quantitative', title: 'DER', scale: { domain: [0, 1] } },
          color: { field: 'defense', type: 'nominal' },
        },
      } as vl.TopLevelSpec,
    },
    {
      name: 'retune-asr',
      spec: point(`ASR after the retuning attack, against the clean-trained model's (${where})`, retune, {
        x: { field: 'model', type: 'nominal', title: null },
        y: { field: 'asr', type: 'quantitative', title: 'ASR after retuning', scale: { domain: [0, 1] } },
        color: { field: 'k', type: 'nominal', title: 'poisoned images' },
        shape: { field: 'attack', type: 'nominal' },
      }),
    },
  ];
}

/** Renders a vega-lite spec to SVG text in Node (vega's headless View; no browser, no canvas). */
export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
