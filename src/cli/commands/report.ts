import { Command } from 'commander';
import { join } from 'node:path';
import { writeReport } from '../../bench/report/write_report';
import { printResult } from '../options';

/** `tsbd report DIR`: the Markdown table and SVG plots of a bench output directory. */
export function reportCommand(): Command {
  return new Command('report')
    .description('write DIR/report/report.md (ACC / ASR / DER mean ± std over seeds, rows attacks, columns defenses) and SVG plots from the records of `tsbd bench --out DIR`')
    .argument('<dir>', 'the bench output directory (holds records/)')
    .option('--out <dir>', 'where the report goes (default DIR/report)')
    .option('--json', 'print one JSON object on stdout', false)
    .action(async (dir: string, opts: { out?: string; json: boolean }) => {
      const out = opts.out ?? join(dir, 'report');
      const files = await writeReport(dir, out);
      printResult(opts.json, { out, files });
    });
}
