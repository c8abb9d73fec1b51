import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic_write';
import { ConfigError } from '../../errors';
import { readRecords } from '../record';
import { nCurveCaption, nCurveSpec, nCurveTable } from './n_curve';
import { plotSpecs, renderSvg, type PlotSpec } from './plots';
import { seedTables } from './seed_tables';
import { summarize } from './summary';
import { markdownTable } from './table';
import { tsbdStandingTable } from './tsbd_standing';

/**
 * `tsbd report`: reads DIR/records and writes OUT/report.md (a table per dataset × arch × poison rate, where TSBD
 * stands in it, links to its plots, then TSBD's chosen n per attack and seed with a plot over n per attack, then every
 * cell per attack and seed) and the plots as OUT/<dataset>-<arch>-<rate>-<plot>.svg, each atomically. Returns the
 * files written.
 * @throws ConfigError when DIR holds no record.
 */
export async function writeReport(dir: string, out: string): Promise<string[]> {
  const records = readRecords(dir);
  if (records.length === 0) throw new ConfigError(`no records in ${join(dir, 'records')}: run tsbd bench --out ${dir} first`, { dir });
  mkdirSync(out, { recursive: true });
  const written: string[] = [];
  const md = ['# Benchmark report', '', `${records.length} records from ${dir}. DER as BackdoorBench's (0.5 = no change).`, ''];
  for (const g of summarize(records)) {
    md.push(markdownTable(g));
    const standing = tsbdStandingTable(g);
    if (standing !== '') md.push(standing);
    const slug = `${g.dataset}-${g.arch}-${g.rate}`.replace(/[^A-Za-z0-9.-]+/g, '_');
    const plot = async (p: PlotSpec): Promise<string> => {
      const file = `${slug}-${p.name}.svg`;
      writeFileAtomic(join(out, file), await renderSvg(p.spec));
      written.push(file);
      return `![${p.name}](${file})`;
    };
    for (const p of plotSpecs(g)) md.push(await plot(p), '');
    const nTable = nCurveTable(g);
    if (nTable !== '') md.push(nTable);
    for (const attack of g.attacks) {
      const p = nCurveSpec(g, attack);
      const runs = g.tsbd.get(attack);
      if (p !== null && runs !== undefined) md.push(`${attack}: ${nCurveCaption(runs)}`, '', await plot(p), '');
    }
    const perSeed = seedTables(g);
    if (perSeed !== '') md.push(perSeed);
  }
  writeFileAtomic(join(out, 'report.md'), `${md.join('\n')}\n`);
  return ['report.md', ...written];
}
