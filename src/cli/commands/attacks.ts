import { Command } from 'commander';
import { describeAttacks } from '../attack_options';

/** `tsbd attacks`: the registered attacks and their own options (JSON with --json). */
export function attacksCommand(): Command {
  return new Command('attacks')
    .description('list the attacks `tsbd attack --attack NAME` accepts, with their options and defaults')
    .option('--json', 'print one JSON object on stdout', false)
    .action((opts: { json: boolean }) => {
      const list = describeAttacks();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ attacks: list })}\n`);
        return;
      }
      const lines = ['every attack: --target <class> (0), --poison-rate <fraction> (0.1), --all-to-all, --seed <s> (0)'];
      for (const a of list) {
        lines.push('', `${a.name}${a.cleanLabel ? ' (clean-label)' : ''}: ${a.summary}`);
        for (const o of a.options) lines.push(`  ${o.flag.padEnd(22)} ${o.help} (default ${o.default})`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
