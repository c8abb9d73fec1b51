import type { Stat } from './stats';
import type { SummaryGroup } from './summary';

/** `mean ± std`; a single value has no spread to show, so it is written alone (not `± 0.000`). */
const fmt = (s: Stat): string => (Number.isNaN(s.mean) ? '–' : s.n < 2 ? s.mean.toFixed(3) : `${s.mean.toFixed(3)} ± ${s.std.toFixed(3)}`);

/** ` (k of N seeds)` after a cell that has fewer seeds than the table's most, so a partial grid reads as one. */
const fewer = (n: number, seeds: number): string => (n < seeds ? ` (${n} of ${seeds} seeds)` : '');

/**
 * The paper's Table 1 for one group, in Markdown: a row per attack, a column for the attacked model ("no defense")
 * and one per defense, each cell ACC / ASR / DER as mean ± sample std over seeds. A grid filled a row at a time has
 * cells with fewer seeds than others: those say how many. The defense with the highest mean DER of each row is in bold
 * (all of them on a tie).
 */
export function markdownTable(g: SummaryGroup): string {
  const seeds = Math.max(0, ...[...g.cells.values()].map((c) => c.acc.n));
  const lines = [
    `### ${g.dataset}, ${g.arch}, poison rate ${g.rate}`,
    '',
    `Each cell: ACC / ASR / DER, mean ± std over ${seeds} seed(s) (a cell with fewer says so; one seed has no ±); **bold**: the highest mean DER of the row.`,
    '',
    `| attack | no defense (ACC / ASR) | ${g.defenses.join(' | ')} |`,
    `|---|---|${g.defenses.map(() => '---|').join('')}`,
  ];
  for (const attack of g.attacks) {
    const ders = g.defenses.map((d) => g.cells.get(`${attack}/${d}`)?.der.mean ?? Number.NaN);
    const best = Math.max(...ders.filter((x) => !Number.isNaN(x)));
    const row = g.defenses.map((d, i) => {
      const c = g.cells.get(`${attack}/${d}`);
      if (c === undefined) return '–';
      const text = `${fmt(c.acc)} / ${fmt(c.asr)} / ${fmt(c.der)}`;
      return (ders[i] === best ? `**${text}**` : text) + fewer(c.acc.n, seeds);
    });
    const a = g.attacked.get(attack);
    const given = a === undefined ? '–' : `${fmt(a.acc)} / ${fmt(a.asr)}${fewer(a.acc.n, seeds)}`;
    lines.push(`| ${attack} | ${given} | ${row.join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}
