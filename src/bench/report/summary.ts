import type { CellRecord } from '../record';
import { meanStd, type Stat } from './stats';

/** One table of the report: a dataset, an arch and a poison rate. */
export interface SummaryGroup {
  dataset: string;
  arch: string;
  rate: number;
  /** Attack names (the rows) and defense names (the columns), sorted by name. */
  attacks: string[];
  defenses: string[];
  /** `${attack}/${defense}` → ACC, ASR and DER after the defense, over seeds. */
  cells: Map<string, { acc: Stat; asr: Stat; der: Stat; retune: Map<number, Stat> }>;
  /** attack → the attacked model (before any defense) and the clean-trained model, over seeds. */
  attacked: Map<string, { acc: Stat; asr: Stat; retune: Map<number, Stat> }>;
  reference: Map<string, { acc: Stat; asr: Stat; retune: Map<number, Stat> }>;
  /** attack → TSBD's chosen n per seed (`chose.fraction` of the tsbd cells). */
  tsbdN: Map<string, { seed: number; n: number }[]>;
}

function retuneStats(records: readonly CellRecord[]): Map<number, Stat> {
  const ks = [...new Set(records.flatMap((r) => r.retune.map((x) => x.k)))].sort((a, b) => a - b);
  return new Map(ks.map((k) => [k, meanStd(records.flatMap((r) => r.retune.filter((x) => x.k === k).map((x) => x.asr)))]));
}

const push = <K, V>(m: Map<K, V[]>, k: K, v: V): void => void (m.get(k) ?? m.set(k, []).get(k))?.push(v);

/** Groups records by dataset × arch × rate and takes mean ± std over seeds for each attack × defense. */
export function summarize(records: readonly CellRecord[]): SummaryGroup[] {
  const byGroup = new Map<string, CellRecord[]>();
  for (const r of records) push(byGroup, JSON.stringify([r.config.row.dataset, r.config.row.arch, r.config.row.rate]), r);
  return [...byGroup.values()].map((rs) => {
    const first = rs[0] as CellRecord;
    const attacks = [...new Set(rs.map((r) => r.config.row.attack.name))].sort();
    const defenses = [...new Set(rs.flatMap((r) => (r.config.defense === null ? [] : [r.config.defense.name])))].sort();
    const byCell = new Map<string, CellRecord[]>();
    const byAttack = new Map<string, CellRecord[]>();
    const byReference = new Map<string, CellRecord[]>();
    const tsbdN = new Map<string, { seed: number; n: number }[]>();
    for (const r of rs) {
      const attack = r.config.row.attack.name;
      if (r.config.kind === 'reference' || r.config.defense === null) {
        push(byReference, attack, r);
        continue;
      }
      push(byCell, `${attack}/${r.config.defense.name}`, r);
      // The attacked model is the same for every defense of a row: count each seed once.
      if ((byAttack.get(attack) ?? []).every((x) => x.config.row.seed !== r.config.row.seed)) push(byAttack, attack, r);
      const n = r.chose?.['fraction'];
      if (r.config.defense.name === 'tsbd' && typeof n === 'number') push(tsbdN, attack, { seed: r.config.row.seed, n });
    }
    const cells = new Map(
      [...byCell].map(([k, v]) => [
        k,
        { acc: meanStd(v.map((r) => r.after?.acc ?? Number.NaN)), asr: meanStd(v.map((r) => r.after?.asr ?? Number.NaN)), der: meanStd(v.map((r) => r.der ?? Number.NaN)), retune: retuneStats(v) },
      ]),
    );
    const asGiven = (v: CellRecord[], withRetune: boolean): { acc: Stat; asr: Stat; retune: Map<number, Stat> } => ({
      acc: meanStd(v.map((r) => r.before.acc)),
      asr: meanStd(v.map((r) => r.before.asr)),
      retune: withRetune ? retuneStats(v) : new Map(),
    });
    return {
      dataset: first.config.row.dataset,
      arch: first.config.row.arch,
      rate: first.config.row.rate,
      attacks,
      defenses,
      cells,
      attacked: new Map([...byAttack].map(([k, v]) => [k, asGiven(v, false)])),
      reference: new Map([...byReference].map(([k, v]) => [k, asGiven(v, true)])),
      tsbdN,
    };
  });
}
