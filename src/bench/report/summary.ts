import type { NamedOptions } from '../grid';
import type { CellRecord } from '../record';
import { meanStd, type Stat } from './stats';

/** TSBD's cells of one attack, per seed (fractions in [0, 1]; ACC and ASR after purification). */
export interface TsbdRuns {
  /** Cells that chose n themselves (`tsbd`, n unset or 'auto'): the chosen n (`chose.fraction`) and the probes run. */
  auto: { seed: number; n: number; probes: number | null; acc: number; asr: number }[];
  /** Cells run with n given (`{"name": "tsbd", "options": {"n": x}}`, no other option), drawn only as the curve over n. */
  fixed: { seed: number; n: number; acc: number; asr: number }[];
}

/** One attack × defense cell of a table, over seeds: ACC, ASR and DER after the defense, and ASR after retuning by K. */
export interface CellStats {
  acc: Stat;
  asr: Stat;
  der: Stat;
  retune: Map<number, Stat>;
  /** The records the statistics are taken over, one per seed, for comparisons paired on the seeds two cells share. */
  records: CellRecord[];
}

/** One table of the report: a dataset, an arch and a poison rate. */
export interface SummaryGroup {
  dataset: string;
  arch: string;
  rate: number;
  /**
   * Attack names (the rows) and defense labels (the columns; see {@link defenseLabel}), sorted. TSBD's fixed-n cells
   * are not among the columns: they are in `tsbd`.
   */
  attacks: string[];
  defenses: string[];
  /** `${attack}/${defense label}` → ACC, ASR and DER after the defense, over seeds. */
  cells: Map<string, CellStats>;
  /** attack → the attacked model (before any defense) and the clean-trained model, over seeds. */
  attacked: Map<string, { acc: Stat; asr: Stat; retune: Map<number, Stat> }>;
  reference: Map<string, { acc: Stat; asr: Stat; retune: Map<number, Stat> }>;
  /** attack → TSBD's auto-n and fixed-n cells (attacks without tsbd cells are absent). */
  tsbd: Map<string, TsbdRuns>;
  /** Every record of the group, reference cells and TSBD's fixed-n cells included, for the per-seed detail. */
  records: CellRecord[];
}

/** A defense's column name: its registry name, then its options as `key=value` sorted by key (`tsbd n=0.3`). */
export function defenseLabel(d: NamedOptions): string {
  const opts = Object.keys(d.options).sort().map((k) => `${k}=${String(d.options[k])}`);
  return [d.name, ...opts].join(' ');
}

/** 'auto': TSBD choosing n (the defense); 'fixed': TSBD with only n given, a point of the curve over n; else null. */
export function tsbdKind(d: NamedOptions): 'auto' | 'fixed' | null {
  const keys = Object.keys(d.options);
  if (d.name !== 'tsbd' || keys.some((k) => k !== 'n')) return null;
  const n = d.options['n'];
  return n === undefined || n === 'auto' ? 'auto' : typeof n === 'number' ? 'fixed' : null;
}

/** Records a tsbd cell's n and its ACC / ASR after in `runs` (cells without a numeric n or metrics are skipped). */
function addTsbd(runs: TsbdRuns, kind: 'auto' | 'fixed', r: CellRecord): void {
  const seed = r.config.row.seed;
  const n = kind === 'fixed' ? r.config.defense?.options['n'] : r.chose?.['fraction'];
  const { acc, asr } = r.after ?? {};
  if (typeof n !== 'number' || typeof acc !== 'number' || typeof asr !== 'number') return;
  if (kind === 'fixed') {
    runs.fixed.push({ seed, n, acc, asr });
    return;
  }
  const probes = r.chose?.['probes'];
  runs.auto.push({ seed, n, probes: Array.isArray(probes) ? probes.length : null, acc, asr });
}

/** The retuning-attack sizes K the records measured, ascending, each once. */
export function retuneSizes(records: readonly CellRecord[]): number[] {
  return [...new Set(records.flatMap((r) => r.retune.map((x) => x.k)))].sort((a, b) => a - b);
}

function retuneStats(records: readonly CellRecord[]): Map<number, Stat> {
  return new Map(retuneSizes(records).map((k) => [k, meanStd(records.flatMap((r) => r.retune.filter((x) => x.k === k).map((x) => x.asr)))]));
}

const push = <K, V>(m: Map<K, V[]>, k: K, v: V): void => void (m.get(k) ?? m.set(k, []).get(k))?.push(v);

/** Groups records by dataset × arch × rate and takes mean ± std over seeds for each attack × defense. */
export function summarize(records: readonly CellRecord[]): SummaryGroup[] {
  const byGroup = new Map<string, CellRecord[]>();
  for (const r of records) push(byGroup, JSON.stringify([r.config.row.dataset, r.config.row.arch, r.config.row.rate]), r);
  return [...byGroup.values()].map((rs) => {
    const first = rs[0] as CellRecord;
    const attacks = [...new Set(rs.map((r) => r.config.row.attack.name))].sort();
    const columns = rs.flatMap((r) => (r.config.defense === null || tsbdKind(r.config.defense) === 'fixed' ? [] : [defenseLabel(r.config.defense)]));
    const defenses = [...new Set(columns)].sort();
    const byCell = new Map<string, CellRecord[]>();
    const byAttack = new Map<string, CellRecord[]>();
    const byReference = new Map<string, CellRecord[]>();
    const tsbd = new Map<string, TsbdRuns>();
    for (const r of rs) {
      const attack = r.config.row.attack.name;
      if (r.config.kind === 'reference' || r.config.defense === null) {
        push(byReference, attack, r);
        continue;
      }
      // The attacked model is the same for every defense of a row: count each seed once.
      if ((byAttack.get(attack) ?? []).every((x) => x.config.row.seed !== r.config.row.seed)) push(byAttack, attack, r);
      const kind = tsbdKind(r.config.defense);
      if (kind !== null) {
        const runs = tsbd.get(attack) ?? { auto: [], fixed: [] };
        tsbd.set(attack, runs);
        addTsbd(runs, kind, r);
      }
      if (kind !== 'fixed') push(byCell, `${attack}/${defenseLabel(r.config.defense)}`, r);
    }
    const cells = new Map(
      [...byCell].map(([k, v]) => [
        k,
        { acc: meanStd(v.map((r) => r.after?.acc ?? Number.NaN)), asr: meanStd(v.map((r) => r.after?.asr ?? Number.NaN)), der: meanStd(v.map((r) => r.der ?? Number.NaN)), retune: retuneStats(v), records: v },
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
      tsbd,
      records: rs,
    };
  });
}
