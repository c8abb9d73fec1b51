import type { CellRecord } from '../../../src/bench/record';
import { choseText, seedTables } from '../../../src/bench/report/seed_tables';
import { summarize } from '../../../src/bench/report/summary';
import { record, type M } from '../fixtures/records';

const BEFORE: M = { acc: 0.9, asr: 1.0 };

/** A pruning defense's cell: what it chose is channels pruned of those scored, as FP, ANP and CLP report. */
function pruned(seed: number, count: number, of: number): CellRecord {
  return { ...record('badnets', seed, 'fp', BEFORE, { acc: 0.89, asr: 0.7 }, 0.645, [0.8, 0.9]), chose: { pruned: count, channels: of, prunedChannels: [] } };
}

describe('seedTables: every cell of each attack and seed', () => {
  const md = seedTables(
    summarize([
      record('badnets', 2, 'tsbd', { acc: 0.92, asr: 0.98 }, { acc: 0.86, asr: 0.04 }, 0.94, [0.05, 0.2], { n: 0.3 }),
      record('badnets', 1, 'tsbd', BEFORE, { acc: 0.88, asr: 0.02 }, 0.98, [0.03, 0.1], { n: 0.2 }),
      record('badnets', 1, { name: 'tsbd', options: { n: 0.5 } }, BEFORE, { acc: 0.7, asr: 0.01 }, 0.895, [0.02, 0.3], { n: 0.5 }),
      pruned(1, 5, 64),
      record('badnets', 1, null, { acc: 0.91, asr: 0.01 }, null, null, [0.02, 0.04]),
    ])[0]!,
  );
  const lines = md.split('\n');

  it('writes one table per attack and seed, seeds in order, headed by the attacked model of that seed', () => {
    expect(lines.filter((l) => l.startsWith('**'))).toEqual([
      '**badnets, seed 1**: attacked model ACC 0.900, ASR 1.000; 3 defense cell(s).',
      '**badnets, seed 2**: attacked model ACC 0.920, ASR 0.980; 1 defense cell(s).',
    ]);
    expect(md).toContain('| defense | ACC | ASR | DER | retune 5 ASR | retune 20 ASR | chose | defense s |');
  });

  it("lists each defense's figures, marks TSBD's fixed-n cell as the curve's, and ends with the clean-trained model of the seed", () => {
    const seed1 = lines.slice(lines.indexOf('**badnets, seed 1**: attacked model ACC 0.900, ASR 1.000; 3 defense cell(s).'));
    expect(seed1.slice(4, 8)).toEqual([
      '| `fp` | 0.890 | 0.700 | 0.645 | 0.800 | 0.900 | pruned 5/64 | 1 |',
      '| `tsbd` | 0.880 | 0.020 | 0.980 | 0.030 | 0.100 | n 0.2 | 1 |',
      '| `tsbd n=0.5` (curve only) | 0.700 | 0.010 | 0.895 | 0.020 | 0.300 | n 0.5 | 1 |',
      '| clean-trained model | 0.910 | 0.010 | – | 0.020 | 0.040 |  |  |',
    ]);
    // Seed 2 has no reference record: its table ends after its one cell.
    const seed2 = lines.slice(lines.indexOf('**badnets, seed 2**: attacked model ACC 0.920, ASR 0.980; 1 defense cell(s).'));
    expect(seed2.slice(4, 6)).toEqual(['| `tsbd` | 0.860 | 0.040 | 0.940 | 0.050 | 0.200 | n 0.3 | 1 |', '']);
  });

  it('says what a defense chose only where it chose n or pruned channels', () => {
    expect(choseText({ fraction: 0.05, probes: [] })).toBe('n 0.05');
    expect(choseText({ pruned: 0, channels: 336 })).toBe('pruned 0/336');
    expect(choseText({ epochAccs: [0.8] })).toBe('');
    expect(choseText(null)).toBe('');
  });

  it('is empty for a group with reference cells only', () => {
    expect(seedTables(summarize([record('badnets', 1, null, { acc: 0.91, asr: 0.01 }, null, null, [0.02, 0.04])])[0]!)).toBe('');
  });
});
