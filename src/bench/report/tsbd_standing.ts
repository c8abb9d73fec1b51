import type { CellRecord } from '../record';
import { meanStd } from './stats';
import type { CellStats, SummaryGroup } from './summary';

const f3 = (x: number): string => (Number.isNaN(x) ? '–' : x.toFixed(3));
/** A margin with its sign; four decimals where three would read 0.000. */
const signed = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(Math.abs(x) < 0.0005 ? 4 : 3)}`;

/** Mean of `value` over the records of `seeds` (meanStd's: NaN values left out; NaN when none is left). */
function meanOn(records: readonly CellRecord[], seeds: ReadonlySet<number>, value: (r: CellRecord) => number | undefined): number {
  return meanStd(records.filter((r) => seeds.has(r.config.row.seed)).map((r) => value(r) ?? Number.NaN)).mean;
}

/** A defense against TSBD on the seeds both have run: its mean, TSBD's mean on the same seeds, and its ACC there. */
interface Paired {
  label: string;
  theirs: number;
  tsbd: number;
  acc: number;
}

/**
 * Every other defense of the row paired with TSBD on their shared seeds (defenses sharing none are left out), for
 * `value`. A grid filled a row at a time has cells with different seeds, and a mean over other seeds is not a fair
 * comparison: each pair is compared on the same attacked models.
 */
function paired(g: SummaryGroup, attack: string, tsbd: CellStats, value: (r: CellRecord) => number | undefined): Paired[] {
  const mine = new Set(tsbd.records.map((r) => r.config.row.seed));
  return g.defenses.flatMap((label) => {
    const c = g.cells.get(`${attack}/${label}`);
    if (label === 'tsbd' || c === undefined) return [];
    const shared = new Set(c.records.map((r) => r.config.row.seed).filter((s) => mine.has(s)));
    const theirs = meanOn(c.records, shared, value);
    const ours = meanOn(tsbd.records, shared, value);
    return Number.isNaN(theirs) || Number.isNaN(ours) ? [] : [{ label, theirs, tsbd: ours, acc: meanOn(c.records, shared, (r) => r.after?.acc) }];
  });
}

/**
 * "k of m" (1 + the defenses strictly better than TSBD; m counts TSBD) and the ones ahead, best first, at most three,
 * each with its margin over TSBD on their shared seeds and, with `withAcc`, its ACC there.
 */
function standing(pairs: Paired[], higher: boolean, withAcc: boolean): [string, string] {
  const margin = (p: Paired): number => (higher ? p.theirs - p.tsbd : p.tsbd - p.theirs);
  const ahead = pairs.filter((p) => margin(p) > 0).sort((a, b) => margin(b) - margin(a));
  const named = ahead.slice(0, 3).map((p) => `\`${p.label}\` ${signed(p.theirs - p.tsbd)}${withAcc ? ` (ACC ${f3(p.acc)})` : ''}`);
  const more = ahead.length > 3 ? `, ${ahead.length - 3} more` : '';
  return [`${ahead.length + 1} of ${pairs.length + 1}`, ahead.length === 0 ? 'none' : named.join(', ') + more];
}

/**
 * Where TSBD (the `tsbd` column, n chosen on clean data) stands in each attack's row, in Markdown: its mean DER and
 * its rank by DER, then, at the largest retuning size K, its mean ASR after the retuning attack and its rank (lower
 * is better), next to the clean-trained model's ASR after the same attack (the floor a lasting purification can
 * reach). Each other defense is compared with TSBD on the seeds both have run, and the ones ahead are named with
 * their margin; after retuning with their ACC too, since a defense that wrecks accuracy also stops the backdoor
 * relearning. The README quotes this table for where TSBD loses. Empty when no attack of the group has a `tsbd` cell.
 */
export function tsbdStandingTable(g: SummaryGroup): string {
  const attacks = g.attacks.filter((a) => g.cells.has(`${a}/tsbd`));
  if (attacks.length === 0) return '';
  const ks = [...new Set([...g.cells.values()].flatMap((c) => [...c.retune.keys()]))].sort((a, b) => a - b);
  const k = ks[ks.length - 1];
  const lines = [
    `#### Where TSBD stands (${g.dataset}, ${g.arch}, poison rate ${g.rate})`,
    '',
    "TSBD's means over its seeds. Every other defense is compared with TSBD on the seeds both have run; rank 1 is the",
    'best of the row (highest DER; lowest ASR after the retuning attack), and the defenses ahead of TSBD are named with',
    'their margin (at most three).',
    '',
    k === undefined
      ? '| attack | seeds | TSBD DER | rank by DER | ahead by DER |'
      : `| attack | seeds | TSBD DER | rank by DER | ahead by DER | TSBD ASR, retune K=${k} | rank | lower after retuning | clean-trained, retune K=${k} |`,
    k === undefined ? '|---|---|---|---|---|' : '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const attack of attacks) {
    const tsbd = g.cells.get(`${attack}/tsbd`) as CellStats;
    const seeds = tsbd.records.map((r) => r.config.row.seed).sort((a, b) => a - b);
    const cols = [attack, seeds.join(', '), f3(tsbd.der.mean), ...standing(paired(g, attack, tsbd, (r) => r.der ?? undefined), true, false)];
    if (k !== undefined) {
      const retuned = (r: CellRecord): number | undefined => r.retune.find((x) => x.k === k)?.asr;
      const [rank, ahead] = standing(paired(g, attack, tsbd, retuned), false, true);
      cols.push(f3(tsbd.retune.get(k)?.mean ?? Number.NaN), rank, ahead, f3(g.reference.get(attack)?.retune.get(k)?.mean ?? Number.NaN));
    }
    lines.push(`| ${cols.join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}
