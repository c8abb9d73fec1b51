import type { CellRecord } from '../record';
import { defenseLabel, retuneSizes, tsbdKind, type SummaryGroup } from './summary';

const f3 = (x: number | null | undefined): string => (typeof x === 'number' && !Number.isNaN(x) ? x.toFixed(3) : '–');

/**
 * What a cell's defense chose, in a few words: TSBD's re-initialisation fraction n (`n 0.2`), or a pruning defense's
 * channels pruned of those it scored (`pruned 5/64`); '' for a defense that chooses neither.
 */
export function choseText(chose: CellRecord['chose']): string {
  if (chose === null) return '';
  if (typeof chose['fraction'] === 'number') return `n ${chose['fraction']}`;
  if (typeof chose['pruned'] === 'number' && typeof chose['channels'] === 'number') return `pruned ${chose['pruned']}/${chose['channels']}`;
  return '';
}

/**
 * The report's per-seed detail for one group: for each attack and seed, the attacked model, every cell of that row
 * (one line per defense, TSBD's fixed-n cells included and marked as the curve's), ACC, ASR and DER after, ASR after
 * each retuning attack, what the defense chose and its wall seconds, then the clean-trained model. The mean table
 * hides a seed whose outcome differs from the others; this is where it shows. '' when the group has no defense cell.
 */
export function seedTables(g: SummaryGroup): string {
  const defended = g.records.flatMap((r) =>
    r.config.kind === 'reference' || r.config.defense === null ? [] : [{ r, label: defenseLabel(r.config.defense), curveOnly: tsbdKind(r.config.defense) === 'fixed' }],
  );
  if (defended.length === 0) return '';
  const ks = retuneSizes(g.records);
  const lines = [`#### Per seed (${g.dataset}, ${g.arch}, poison rate ${g.rate})`, ''];
  const rows = [...new Set(defended.map(({ r }) => JSON.stringify([r.config.row.attack.name, r.config.row.seed])))]
    .map((k) => JSON.parse(k) as [string, number])
    .sort((a, b) => a[0].localeCompare(b[0]) || a[1] - b[1]);
  for (const [attack, seed] of rows) {
    const inRow = (r: CellRecord): boolean => r.config.row.attack.name === attack && r.config.row.seed === seed;
    const cells = defended.filter(({ r }) => inRow(r));
    cells.sort((a, b) => a.label.localeCompare(b.label));
    const given = (cells[0] as { r: CellRecord }).r.before; // the attacked model, the same in every cell of the row
    const retuned = (r: CellRecord): string[] => ks.map((k) => f3(r.retune.find((x) => x.k === k)?.asr));
    lines.push(
      `**${attack}, seed ${seed}**: attacked model ACC ${f3(given.acc)}, ASR ${f3(given.asr)}; ${cells.length} defense cell(s).`,
      '',
      `| defense | ACC | ASR | DER | ${ks.map((k) => `retune ${k} ASR`).join(' | ')} | chose | defense s |`,
      `|---|---|---|---|${ks.map(() => '---|').join('')}---|---|`,
    );
    for (const { r, label, curveOnly } of cells) {
      const name = curveOnly ? `\`${label}\` (curve only)` : `\`${label}\``;
      lines.push(`| ${[name, f3(r.after?.acc), f3(r.after?.asr), f3(r.der), ...retuned(r), choseText(r.chose), String(Math.round(r.seconds.defense))].join(' | ')} |`);
    }
    const reference = g.records.find((r) => inRow(r) && (r.config.kind === 'reference' || r.config.defense === null));
    if (reference !== undefined) lines.push(`| clean-trained model | ${[f3(reference.before.acc), f3(reference.before.asr), '–', ...retuned(reference), '', ''].join(' | ')} |`);
    lines.push('');
  }
  return lines.join('\n');
}
