import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CellRecord } from '../../src/bench/record';
import { meanStd } from '../../src/bench/report/stats';
import { summarize } from '../../src/bench/report/summary';
import { markdownTable } from '../../src/bench/report/table';
import { tsbdStandingTable } from '../../src/bench/report/tsbd_standing';
import { writeReport } from '../../src/bench/report/write_report';
import { record } from './fixtures/records';

// DER = (max(0, ASR before - after) - max(0, ACC before - after) + 1) / 2, worked by hand in the comments.
const RECORDS: CellRecord[] = [
  record('badnets', 1, 'tsbd', { acc: 0.9, asr: 1.0 }, { acc: 0.88, asr: 0.02 }, 0.98, [0.03, 0.1], { n: 0.2 }), // (0.98 - 0.02 + 1) / 2
  record('badnets', 2, 'tsbd', { acc: 0.92, asr: 0.98 }, { acc: 0.86, asr: 0.04 }, 0.94, [0.05, 0.2], { n: 0.3 }), // (0.94 - 0.06 + 1) / 2
  record('badnets', 1, 'ft', { acc: 0.9, asr: 1.0 }, { acc: 0.91, asr: 0.9 }, 0.55, [0.9, 0.9]), // (0.10 - 0 + 1) / 2
  record('badnets', 2, 'ft', { acc: 0.92, asr: 0.98 }, { acc: 0.93, asr: 0.96 }, 0.51, [0.9, 0.9]), // (0.02 - 0 + 1) / 2
  record('badnets', 1, null, { acc: 0.91, asr: 0.01 }, null, null, [0.02, 0.04]),
  record('badnets', 2, null, { acc: 0.91, asr: 0.01 }, null, null, [0.02, 0.04]),
  record('blended', 1, 'tsbd', { acc: 0.9, asr: 0.95 }, { acc: 0.8, asr: 0.5 }, 0.675, [0.5, 0.6], { n: 0.1 }), // (0.45 - 0.10 + 1) / 2
  record('blended', 2, 'tsbd', { acc: 0.9, asr: 0.95 }, { acc: 0.8, asr: 0.5 }, 0.675, [0.5, 0.6], { n: 0.1 }),
  record('blended', 1, 'ft', { acc: 0.9, asr: 0.95 }, { acc: 0.9, asr: 0.1 }, 0.925, [0.3, 0.4]), // (0.85 - 0 + 1) / 2
  record('blended', 2, 'ft', { acc: 0.9, asr: 0.95 }, { acc: 0.9, asr: 0.2 }, 0.875, [0.3, 0.4]), // (0.75 - 0 + 1) / 2
  record('blended', 1, null, { acc: 0.91, asr: 0.02 }, null, null, [0.03, 0.05]),
  record('blended', 2, null, { acc: 0.91, asr: 0.02 }, null, null, [0.03, 0.05]),
];

/** The number of marks vega drew in the mark containers of `type` (symbol, rect): one <path> each. */
function marks(svg: string, type: string): number {
  const groups = svg.match(new RegExp(`<g class="mark-${type} role-mark[^"]*"[^>]*>(.*?)</g>`, 'gs')) ?? [];
  return groups.reduce((n, g) => n + (g.match(/<path /g) ?? []).length, 0);
}

describe('meanStd', () => {
  it('is the mean and the sample standard deviation (n - 1), NaN left out', () => {
    expect(meanStd([0.88, 0.86]).mean).toBeCloseTo(0.87, 12);
    expect(meanStd([0.88, 0.86]).std).toBeCloseTo(Math.SQRT2 * 0.01, 12); // sqrt((0.01² + 0.01²) / 1)
    expect(meanStd([1, 2, 3, 4])).toEqual({ mean: 2.5, std: Math.sqrt(5 / 3), n: 4 }); // (2.25 + 0.25 + 0.25 + 2.25) / 3
    expect(meanStd([0.5])).toEqual({ mean: 0.5, std: 0, n: 1 });
    expect(meanStd([0.5, Number.NaN]).n).toBe(1);
  });
});

describe('markdownTable on a grid filled a row at a time', () => {
  it('writes a one-seed value without ± and says which cells have fewer seeds than the table', () => {
    // badnets has seeds 1 and 2 of both defenses; lf has seed 1 of tsbd only (its row not yet run for seed 2).
    const md = markdownTable(
      summarize([
        ...RECORDS.filter((r) => r.config.row.attack.name === 'badnets'),
        record('lf', 1, 'tsbd', { acc: 0.9, asr: 0.99 }, { acc: 0.85, asr: 0.05 }, 0.945, [0.1, 0.2], { n: 0.1 }), // (0.94 - 0.05 + 1) / 2
      ])[0]!,
    );
    expect(md).toContain('| badnets | 0.910 ± 0.014 / 0.990 ± 0.014 | 0.920 ± 0.014 / 0.930 ± 0.042 / 0.530 ± 0.028 |');
    expect(md).toContain('| lf | 0.900 / 0.990 (1 of 2 seeds) | – | **0.850 / 0.050 / 0.945** (1 of 2 seeds) |');
  });

  it("compares TSBD with a defense on the seeds both have run, not TSBD's mean over seeds the other lacks", () => {
    const lf = (seed: number, defense: string, der: number, retune20: number): CellRecord =>
      record('lf', seed, defense, { acc: 0.9, asr: 1 }, { acc: 0.85, asr: 0.1 }, der, [0.5, retune20], defense === 'tsbd' ? { n: 0.1 } : undefined);
    // tsbd: DER 0.80 (seed 1), 0.98 (seed 2), mean 0.89; ft has seed 1 only, DER 0.85: below tsbd's mean, but
    // 0.05 above tsbd on seed 1. After retuning (K=20) tsbd 0.30 / 0.10, ft 0.20 on seed 1: 0.10 below tsbd there.
    const standing = tsbdStandingTable(summarize([lf(1, 'tsbd', 0.8, 0.3), lf(2, 'tsbd', 0.98, 0.1), lf(1, 'ft', 0.85, 0.2)])[0]!);
    expect(standing).toContain('| lf | 1, 2 | 0.890 | 2 of 2 | `ft` +0.050 | 0.200 | 2 of 2 | `ft` −0.100 (ACC 0.850) | – |');
  });
});

describe('tsbd report (writeReport) from fixture records', () => {
  let dir: string;
  let files: string[];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsbd-report-'));
    mkdirSync(join(dir, 'records'));
    for (const r of RECORDS) writeFileSync(join(dir, 'records', `${r.hash}.json`), JSON.stringify(r));
    files = await writeReport(dir, join(dir, 'report'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the table: rows attacks, columns defenses (sorted by name), ACC / ASR / DER mean ± std, the best DER of each row in bold', () => {
    const md = readFileSync(join(dir, 'report', 'report.md'), 'utf8');
    expect(md).toContain('| attack | no defense (ACC / ASR) | ft | tsbd |');
    expect(md).toContain('mean ± std over 2 seed(s)');
    // badnets: attacked ACC (0.90, 0.92), ASR (1.00, 0.98); tsbd ACC (0.88, 0.86), ASR (0.02, 0.04), DER (0.98, 0.94);
    // ft ACC (0.91, 0.93), ASR (0.90, 0.96), DER (0.55, 0.51). Each pair: std = |a - b| / sqrt(2).
    expect(md).toContain('| badnets | 0.910 ± 0.014 / 0.990 ± 0.014 | 0.920 ± 0.014 / 0.930 ± 0.042 / 0.530 ± 0.028 | **0.870 ± 0.014 / 0.030 ± 0.014 / 0.960 ± 0.028** |');
    // blended: ft wins (DER 0.900 against 0.675); its ASR (0.10, 0.20): 0.150 ± 0.071, DER (0.925, 0.875): 0.900 ± 0.035.
    expect(md).toContain('| blended | 0.900 ± 0.000 / 0.950 ± 0.000 | **0.900 ± 0.000 / 0.150 ± 0.071 / 0.900 ± 0.035** | 0.800 ± 0.000 / 0.500 ± 0.000 / 0.675 ± 0.000 |');
  });

  it('ends with every cell per attack and seed (test/bench/report/seed_tables.test.ts has the table)', () => {
    const md = readFileSync(join(dir, 'report', 'report.md'), 'utf8');
    const perSeed = md.slice(md.indexOf('#### Per seed (fmnist, small-cnn, poison rate 0.1)'));
    expect(perSeed.match(/^\*\*\w+, seed \d\*\*/gm)).toEqual(['**badnets, seed 1**', '**badnets, seed 2**', '**blended, seed 1**', '**blended, seed 2**']);
    expect(perSeed).toContain('| `ft` | 0.930 | 0.960 | 0.510 | 0.900 | 0.900 |  | 1 |'); // badnets seed 2
  });

  it('says where TSBD stands in each row: its DER and rank, the defenses ahead with their margin, the same after the largest retuning attack, the clean-trained model', () => {
    const md = readFileSync(join(dir, 'report', 'report.md'), 'utf8');
    expect(md).toContain('#### Where TSBD stands (fmnist, small-cnn, poison rate 0.1)');
    expect(md).toContain('| attack | seeds | TSBD DER | rank by DER | ahead by DER | TSBD ASR, retune K=20 | rank | lower after retuning | clean-trained, retune K=20 |');
    // badnets: tsbd DER (0.98 + 0.94) / 2 = 0.960 beats ft's 0.530; K=20 ASR tsbd (0.1 + 0.2) / 2 = 0.150 against
    // ft's 0.900; the clean-trained model's K=20 ASR 0.04 on both seeds.
    expect(md).toContain('| badnets | 1, 2 | 0.960 | 1 of 2 | none | 0.150 | 1 of 2 | none | 0.040 |');
    // blended: ft's DER 0.900 is 0.225 above tsbd's 0.675; at K=20 ft 0.4 (ACC 0.9) is 0.200 below tsbd's 0.6.
    expect(md).toContain('| blended | 1, 2 | 0.675 | 2 of 2 | `ft` +0.225 | 0.600 | 2 of 2 | `ft` −0.200 (ACC 0.900) | 0.050 |');
  });

  it('renders each plot as a valid SVG with one mark per data point', () => {
    const slug = 'fmnist-small-cnn-0.1';
    expect(files).toEqual(['report.md', ...['acc-vs-asr', 'der-by-attack', 'retune-asr', 'badnets-tsbd-n', 'blended-tsbd-n'].map((p) => `${slug}-${p}.svg`)]);
    const svg = (name: string): string => {
      const text = readFileSync(join(dir, 'report', `${slug}-${name}.svg`), 'utf8');
      expect(XMLValidator.validate(text)).toBe(true);
      expect(Object.keys(new XMLParser().parse(text))).toEqual(['svg']);
      return text;
    };
    expect(marks(svg('acc-vs-asr'), 'symbol')).toBe(4); // 2 attacks x 2 defenses
    expect(marks(svg('der-by-attack'), 'rect')).toBe(4);
    expect(marks(svg('retune-asr'), 'symbol')).toBe(12); // 2 attacks x (2 defenses + clean-trained) x K in {5, 20}
    // Only auto-n tsbd cells here: each seed's ACC and ASR at its chosen n (test/bench/report/n_curve.test.ts has the curve).
    expect(marks(svg('badnets-tsbd-n'), 'symbol')).toBe(4); // 2 seeds x {ACC, ASR}
    expect(marks(svg('blended-tsbd-n'), 'symbol')).toBe(4);
  });

  it('refuses a directory without records', async () => {
    await expect(writeReport(join(dir, 'report'), join(dir, 'x'))).rejects.toThrow(/no records in/);
  });
});
