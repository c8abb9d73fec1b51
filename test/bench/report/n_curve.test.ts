import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CellRecord } from '../../../src/bench/record';
import { writeReport } from '../../../src/bench/report/write_report';
import { record, type M } from '../fixtures/records';

const BEFORE: M = { acc: 0.9, asr: 1.0 };
const fixed = (n: number): { name: string; options: { n: number } } => ({ name: 'tsbd', options: { n } });
const tsbd = (attack: string, seed: number, after: M, n: number, probes?: number): CellRecord =>
  record(attack, seed, 'tsbd', BEFORE, after, 0.9, [0.1, 0.2], probes === undefined ? { n } : { n, probes });
const atN = (attack: string, seed: number, n: number, after: M): CellRecord => record(attack, seed, fixed(n), BEFORE, after, 0.9, [0.1, 0.2], { n });

/**
 * badnets: auto cells (chosen n 0.2 and 0.3, 3 and 2 probes) and fixed n 0.1, 0.3, 0.5 on seeds 1 and 2;
 * blended: auto cells only (no curve); sig: one fixed-n cell only (no auto cell); wanet: no tsbd cell.
 */
const RECORDS: CellRecord[] = [
  tsbd('badnets', 1, { acc: 0.88, asr: 0.02 }, 0.2, 3),
  tsbd('badnets', 2, { acc: 0.86, asr: 0.04 }, 0.3, 2),
  atN('badnets', 1, 0.1, { acc: 0.9, asr: 0.6 }),
  atN('badnets', 2, 0.1, { acc: 0.88, asr: 0.4 }), // means at n = 0.1: ACC 0.89, ASR 0.5
  atN('badnets', 1, 0.3, { acc: 0.85, asr: 0.05 }),
  atN('badnets', 2, 0.3, { acc: 0.83, asr: 0.03 }), // n = 0.3: ACC 0.84, ASR 0.04
  atN('badnets', 1, 0.5, { acc: 0.7, asr: 0.01 }),
  atN('badnets', 2, 0.5, { acc: 0.74, asr: 0.03 }), // n = 0.5: ACC 0.72, ASR 0.02
  record('badnets', 1, 'ft', BEFORE, { acc: 0.91, asr: 0.9 }, 0.55, [0.9, 0.9]),
  // Not a point of the curve (another option besides n): a column of its own.
  record('badnets', 1, { name: 'tsbd', options: { n: 0.3, m: 0.5 } }, BEFORE, { acc: 0.8, asr: 0.1 }, 0.85, [0.1, 0.2], { n: 0.3 }),
  record('badnets', 1, null, { acc: 0.91, asr: 0.01 }, null, null, [0.02, 0.04]),
  tsbd('blended', 1, { acc: 0.8, asr: 0.5 }, 0.1),
  tsbd('blended', 2, { acc: 0.82, asr: 0.3 }, 0.1),
  atN('sig', 1, 0.3, { acc: 0.75, asr: 0.2 }),
  record('wanet', 1, 'ft', BEFORE, { acc: 0.9, asr: 0.5 }, 0.75, [0.5, 0.5]),
];

/**
 * A drawn mark: its kind (vega's aria-roledescription: 'point', 'line mark', 'rule mark') and its aria-label's fields
 * by axis or legend title, e.g. {N: '0.3', Y: '0.84', metric: 'ACC'} (N and Y stand for the axis titles).
 */
type Mark = { kind: string; fields: Record<string, string> };

const TITLES: Record<string, string> = { 're-initialisation fraction n': 'N', 'test ACC / ASR after TSBD': 'Y' };

/** Every mark item vega drew in the plot's mark containers (role-mark groups; axes and legends left out). */
function drawnMarks(svg: string): Mark[] {
  const doc: unknown = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(svg);
  const out: Mark[] = [];
  const walk = (node: unknown, inMark: boolean): void => {
    if (Array.isArray(node)) return node.forEach((x) => walk(x, inMark));
    if (typeof node !== 'object' || node === null) return;
    const o = node as Record<string, unknown>;
    const label = o['@aria-label'];
    if (inMark && typeof label === 'string' && typeof o['@aria-roledescription'] === 'string') {
      const fields = Object.fromEntries(label.split('; ').map((kv) => kv.split(': ') as [string, string]).map(([k, v]) => [TITLES[k] ?? k, v]));
      out.push({ kind: o['@aria-roledescription'] as string, fields });
    }
    const cls = o['@class'];
    const here = inMark || (typeof cls === 'string' && / role-mark /.test(`${cls} `));
    for (const [k, v] of Object.entries(o)) if (!k.startsWith('@')) walk(v, here);
  };
  walk(doc, false);
  return out;
}

describe("tsbd report: TSBD's n (fixture records)", () => {
  let dir: string;
  let files: string[];
  let md: string;
  const slug = 'fmnist-small-cnn-0.1';
  const svg = (attack: string): string => {
    const text = readFileSync(join(dir, 'report', `${slug}-${attack}-tsbd-n.svg`), 'utf8');
    expect(XMLValidator.validate(text)).toBe(true);
    return text;
  };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsbd-n-curve-'));
    mkdirSync(join(dir, 'records'));
    for (const r of RECORDS) writeFileSync(join(dir, 'records', `${r.hash}.json`), JSON.stringify(r));
    files = await writeReport(dir, join(dir, 'report'));
    md = readFileSync(join(dir, 'report', 'report.md'), 'utf8');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('draws one plot per attack with tsbd cells, none for an attack without', () => {
    expect(files.filter((f) => f.includes('tsbd-n'))).toEqual(['badnets', 'blended', 'sig'].map((a) => `${slug}-${a}-tsbd-n.svg`));
  });

  it('keeps the fixed-n cells out of the table (the auto cell is the defense); other options make a column of their own', () => {
    expect(md).toContain('| attack | no defense (ACC / ASR) | ft | tsbd | tsbd m=0.5 n=0.3 |');
    expect(md).toContain('| 0.800 / 0.100 / 0.850 (1 of 2 seeds) |\n'); // badnets, tsbd m=0.5 n=0.3: one seed
    expect(md).not.toMatch(/\| tsbd n=/);
  });

  it('lists the chosen n and the probes per seed, and the fixed n run, per attack', () => {
    expect(md).toContain('| attack | chosen n per seed | probes per seed | fixed n run |');
    expect(md).toContain('| badnets | 0.2 (seed 1), 0.3 (seed 2) | 3 (seed 1), 2 (seed 2) | 0.1, 0.3, 0.5 |');
    expect(md).toContain('| blended | 0.1 (seed 1), 0.1 (seed 2) | – (seed 1), – (seed 2) | – |');
    expect(md).toContain('| sig | – | – | 0.3 |');
    const section = md.slice(md.indexOf("#### TSBD's re-initialisation fraction n"));
    expect(section.slice(0, section.indexOf('\n\n', section.indexOf('| attack |')))).not.toContain('wanet'); // no tsbd cell
  });

  it('says what each plot draws', () => {
    expect(md).toContain('badnets: lines and dots: mean test ACC and ASR after TSBD with n fixed at 0.1, 0.3, 0.5');
    expect(md).toContain('blended: filled diamonds');
    expect(md).toMatch(/blended: .*no fixed-n cells, so no curve\./);
    expect(md).toMatch(/sig: lines and dots: .*n fixed at 0\.3, .*no auto-n cell\./);
  });

  it('badnets: the mean ACC and ASR at each fixed n, each seed, the chosen n with their ACC and ASR, and the mean chosen n', () => {
    const marks = drawnMarks(svg('badnets'));
    const num = (m: Mark, k: string): number => Number(m.fields[k]);
    // The dots on the lines: one per fixed n and metric, at the hand-computed means.
    const means = marks.filter((m) => m.kind === 'point' && !('cells' in m.fields)).map((m) => [num(m, 'N'), m.fields['metric'], num(m, 'Y')] as const);
    const expected: [number, string, number][] = [
      [0.1, 'ACC', 0.89], [0.1, 'ASR', 0.5], [0.3, 'ACC', 0.84], [0.3, 'ASR', 0.04], [0.5, 'ACC', 0.72], [0.5, 'ASR', 0.02],
    ];
    expect(means).toHaveLength(expected.length);
    for (const [n, metric, mean] of expected) {
      const hit = means.find(([mn, mm]) => mn === n && mm === metric);
      expect(hit?.[2]).toBeCloseTo(mean, 9);
    }
    expect(marks.filter((m) => m.kind === 'line mark')).toHaveLength(2); // ACC and ASR
    // Each seed: 3 fixed n x 2 seeds x 2 metrics hollow circles; 2 seeds x 2 metrics diamonds at the chosen n.
    const seeds = marks.filter((m) => m.fields['cells'] === 'fixed n (each seed)');
    expect(seeds).toHaveLength(12);
    const chosen = marks.filter((m) => m.fields['cells'] === 'chosen n (each seed)');
    expect(chosen.map((m) => [num(m, 'N'), m.fields['metric'], num(m, 'Y')]).sort()).toEqual([
      [0.2, 'ACC', 0.88], [0.2, 'ASR', 0.02], [0.3, 'ACC', 0.86], [0.3, 'ASR', 0.04],
    ]);
    const rules = marks.filter((m) => m.kind === 'rule mark');
    expect(rules).toHaveLength(1);
    expect(num(rules[0] as Mark, 'N')).toBeCloseTo(0.25, 9); // (0.2 + 0.3) / 2
  });

  it('blended (auto cells only): the chosen n with ACC and ASR per seed, no curve; sig (fixed n only): no chosen n', () => {
    const blended = drawnMarks(svg('blended'));
    expect(blended.filter((m) => m.kind === 'line mark')).toHaveLength(0);
    expect(blended.filter((m) => m.kind === 'point').map((m) => [m.fields['N'], m.fields['metric'], m.fields['Y']]).sort()).toEqual([
      ['0.1', 'ACC', '0.8'], ['0.1', 'ACC', '0.82'], ['0.1', 'ASR', '0.3'], ['0.1', 'ASR', '0.5'],
    ]);
    const sig = drawnMarks(svg('sig'));
    expect(sig.filter((m) => m.kind === 'rule mark')).toHaveLength(0);
    expect(sig.filter((m) => m.fields['cells'] === 'fixed n (each seed)')).toHaveLength(2);
    expect(sig.filter((m) => m.kind === 'line mark')).toHaveLength(2);
  });
});
