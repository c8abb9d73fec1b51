import type { Stat } from './stats';
import type { CellStats, SummaryGroup } from './summary';

const f3 = (x: number): string => (Number.isNaN(x) ? '–' : x.toFixed(3));

/** The defense labels of `attack`'s row with a mean for `value`, best first (`higher`: larger is better). */
function ranked(g: SummaryGroup, attack: string, value: (c: CellStats) => Stat | undefined, higher: boolean): { label: string; mean: number }[] {
  const rows = g.defenses.flatMap((label) => {
    const c = g.cells.get(`${attack}/${label}`);
    const s = c === undefined ? undefined : value(c);
    return s === undefined || Number.isNaN(s.mean) ? [] : [{ label, mean: s.mean }];
  });
  return rows.sort((a, b) => (higher ? b.mean - a.mean : a.mean - b.mean));
}

/** 1 + the number of entries strictly better than `mean` (ties share a rank), as "k of m". */
function rankOf(rows: { mean: number }[], mean: number, higher: boolean): string {
  const better = rows.filter((r) => (higher ? r.mean > mean : r.mean < mean)).length;
  return `${better + 1} of ${rows.length}`;
}

/**
 * Where TSBD (the `tsbd` column, n chosen on clean data) stands in each attack's row, in Markdown: its mean DER and
 * its rank by DER against every defense of the row, the best by DER; then, at the largest retuning size K, its mean
 * ASR after the retuning attack and its rank (lower is better), the lowest of the row with that defense's ACC (a
 * defense that wrecks accuracy also stops the backdoor relearning), and the clean-trained model's ASR after the same
 * attack, which is the floor a lasting purification can reach. The README quotes this table for where TSBD loses.
 * Empty when no attack of the group has a `tsbd` cell.
 */
export function tsbdStandingTable(g: SummaryGroup): string {
  const attacks = g.attacks.filter((a) => g.cells.has(`${a}/tsbd`));
  if (attacks.length === 0) return '';
  const ks = [...new Set([...g.cells.values()].flatMap((c) => [...c.retune.keys()]))].sort((a, b) => a - b);
  const k = ks[ks.length - 1];
  const lines = [
    `#### Where TSBD stands (${g.dataset}, ${g.arch}, poison rate ${g.rate})`,
    '',
    'Means over the seeds run. Rank 1 is the best of the row (highest DER; lowest ASR after the retuning attack);',
    "ties share a rank. The lowest retuned ASR is given with its defense's ACC after the defense.",
    '',
    k === undefined
      ? '| attack | seeds | TSBD DER | rank by DER | best DER |'
      : `| attack | seeds | TSBD DER | rank by DER | best DER | TSBD ASR, retune K=${k} | rank | lowest, retune K=${k} (ACC) | clean-trained, retune K=${k} |`,
    k === undefined ? '|---|---|---|---|---|' : '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const attack of attacks) {
    const tsbd = g.cells.get(`${attack}/tsbd`) as CellStats;
    const byDer = ranked(g, attack, (c) => c.der, true);
    const top = byDer[0] as { label: string; mean: number };
    const cols = [attack, String(tsbd.acc.n), f3(tsbd.der.mean), rankOf(byDer, tsbd.der.mean, true), `\`${top.label}\` ${f3(top.mean)}`];
    if (k !== undefined) {
      const byRetune = ranked(g, attack, (c) => c.retune.get(k), false);
      const mine = tsbd.retune.get(k)?.mean ?? Number.NaN;
      const low = byRetune[0];
      const lowAcc = low === undefined ? Number.NaN : (g.cells.get(`${attack}/${low.label}`)?.acc.mean ?? Number.NaN);
      cols.push(
        f3(mine),
        Number.isNaN(mine) ? '–' : rankOf(byRetune, mine, false),
        low === undefined ? '–' : `\`${low.label}\` ${f3(low.mean)} (${f3(lowAcc)})`,
        f3(g.reference.get(attack)?.retune.get(k)?.mean ?? Number.NaN),
      );
    }
    lines.push(`| ${cols.join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}
