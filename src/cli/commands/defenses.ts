import { Command } from 'commander';
import { listDefenses } from '../../defenses/registry';

/** `tsbd defenses [--json]`: the registered defenses, what each does and its options with defaults. */
export function defensesCommand(): Command {
  return new Command('defenses')
    .description("list the defenses 'tsbd purify --defense NAME' can run, with their options (pass them as --option name=value)")
    .option('--json', 'print one JSON object on stdout', false)
    .action((opts: { json: boolean }) => {
      const list = listDefenses().map((d) => ({ name: d.name, summary: d.summary, options: d.options.map((o) => ({ ...o })) }));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ defenses: list })}\n`);
        return;
      }
      const lines: string[] = [];
      for (const d of list) {
        lines.push(`${d.name.padEnd(16)}${d.summary}`);
        for (const o of d.options) {
          const range = o.min !== undefined || o.max !== undefined ? ` ${o.minExclusive === true ? '(' : '['}${o.min ?? '-inf'}, ${o.max ?? 'inf'}]` : '';
          lines.push(`    ${o.name}=${String(o.default)}`.padEnd(30) + ` ${o.type}${range}: ${o.doc}`);
        }
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
