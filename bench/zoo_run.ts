/**
 * `npm run zoo -- run --only H1,H2 [--method tsbd|ft] [--retune 5,20] [--results FILE]`: purifies zoo models with
 * the CLI exactly as a user would (`tsbd purify --model M --data fashion-mnist --clean-fraction 0.05 --out O`, n
 * auto) or fine-tunes them plainly (`--n 0 --alpha 0`, the baseline), measures the result with `tsbd eval` (and
 * with `--retune K`, the retuning attack), and appends one JSON line per run to FILE (default
 * bench/results/zoo-runs.jsonl): the commands, the commit they ran at, before / after figures and purify's report.
 * Needs `npm run build` first (it runs dist/).
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { ZooSpec } from './zoo_models';

/** The method's extra `tsbd purify` flags. */
export const METHODS: Record<string, string[]> = {
  tsbd: [],
  ft: ['--n', '0', '--alpha', '0', '--extrapolate', '0'],
  'tsbd-relative': ['--relative-nwc'],
  'tsbd-no-head-shift': ['--head-shift', '0'],
  // The head shift on every net, global-pool heads included (auto turns it on only where a hidden Dense feeds the head).
  'tsbd-head-shift': ['--head-shift', '3'],
};

function tsbd(cli: string, args: string[]): unknown {
  const out = execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] as string) as unknown;
}

function commit(): string {
  const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', 'src'], { encoding: 'utf8' }).trim() !== '';
  return dirty ? `${head}+dirty-src` : head;
}

const r4 = (v: number): number => Math.round(v * 10000) / 10000;

/**
 * The commit the run is at, and the CLI of a copy of dist/ made for this run (under the ignored bench/out/, where
 * node_modules still resolves), so that a rebuild while it runs cannot change the code half-way.
 */
function frozenCli(): { at: string; cli: string } {
  const at = commit();
  const dist = join(__dirname, 'out', `dist-${at}-${process.pid}`);
  cpSync(join(__dirname, '..', 'dist'), dist, { recursive: true });
  return { at, cli: join(dist, 'cli.js') };
}

/**
 * Runs `method` on each spec's cached model and appends a line per model to `results`. With `clean`, on its twin
 * trained without poison (ID-clean, `zoo train --clean`) instead, ASR still read with the spec's trigger: what
 * purifying a model that has no backdoor costs.
 */
export function runZoo(specs: ZooSpec[], root: string, method: string, retune: number[], results: string, log: (s: string) => void, clean = false): void {
  const extra = METHODS[method];
  if (extra === undefined) throw new Error(`unknown method ${method}; known: ${Object.keys(METHODS).join(', ')}`);
  const { at, cli } = frozenCli();
  for (const spec of specs) {
    const id = clean ? `${spec.id}-clean` : spec.id;
    const modelDir = join(root, id);
    const zoo = JSON.parse(readFileSync(join(modelDir, 'zoo.json'), 'utf8')) as { before: { acc: number; asr: number; ra: number } };
    const out = join(root, 'runs', `${id}-${method}`);
    mkdirSync(out, { recursive: true });
    const purifyArgs = ['purify', '--model', modelDir, '--data', 'fashion-mnist', '--clean-fraction', '0.05', ...extra, '--out', out, '--force', '--json', '--quiet'];
    log(`${id} ${method}: tsbd ${purifyArgs.join(' ')}`);
    const start = performance.now();
    tsbd(cli, purifyArgs);
    const wall = (performance.now() - start) / 1000;
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Record<string, unknown>;
    // The spec's trigger: from the backdoored model's folder, or the twin's own copy when only the twin is cached.
    const attack = [join(root, spec.id, 'attack.json'), join(modelDir, 'attack.json')].find((f) => existsSync(f)) as string;
    const evalArgs = ['eval', '--model', out, '--data', 'fashion-mnist', '--attack', attack, '--json'];
    const after = tsbd(cli, evalArgs) as { acc: number; asr: number; ra: number };
    const retunes = retune.map((k) => {
      const r = tsbd(cli, [...evalArgs, '--retune', String(k), '--clean-fraction', '0.05']) as { retune: { k: number; acc: number; asr: number } };
      return r.retune;
    });
    const line = {
      id,
      half: spec.half,
      method,
      commit: at,
      before: { acc: r4(zoo.before.acc), asr: r4(zoo.before.asr) },
      after: { acc: r4(after.acc), asr: r4(after.asr), ra: r4(after.ra) },
      accDrop: r4(zoo.before.acc - after.acc),
      n: report['fraction'],
      probes: report['probes'],
      controlAccs: report['controlAccs'],
      inversion: report['inversion'],
      unlearn: report['unlearn'],
      seconds: report['seconds'],
      wallSeconds: Math.round(wall),
      retune: retunes,
      commands: [`tsbd ${purifyArgs.join(' ')}`, `tsbd ${evalArgs.join(' ')}`],
    };
    appendFileSync(results, `${JSON.stringify(line)}\n`);
    log(`${id} ${method}: before ${JSON.stringify(line.before)} after ${JSON.stringify(line.after)} n ${String(line.n)} (${line.wallSeconds} s)`);
  }
}

/**
 * The retuning attack (`tsbd eval --retune K`) on each spec's purified model (runs/ID-tsbd), its plain fine-tuned
 * one (runs/ID-ft) and a model trained by the same recipe without poison (ID-clean, `zoo train --clean`), where
 * present; one JSON line per model and K in `results`.
 */
export function retuneZoo(specs: ZooSpec[], root: string, ks: number[], results: string, log: (s: string) => void): void {
  const { at, cli } = frozenCli();
  for (const spec of specs) {
    const attack = join(root, spec.id, 'attack.json');
    const models: Record<string, string> = { purified: join(root, 'runs', `${spec.id}-tsbd`), plainFt: join(root, 'runs', `${spec.id}-ft`), cleanTrained: join(root, `${spec.id}-clean`) };
    for (const [role, dir] of Object.entries(models)) {
      if (!existsSync(join(dir, 'model.json'))) continue;
      for (const k of ks) {
        const args = ['eval', '--model', dir, '--data', 'fashion-mnist', '--attack', attack, '--retune', String(k), '--clean-fraction', '0.05', '--json'];
        const r = tsbd(cli, args) as { acc: number; asr: number; retune: { k: number; acc: number; asr: number } };
        const line = { id: spec.id, role, k, commit: at, given: { acc: r4(r.acc), asr: r4(r.asr) }, retuned: { acc: r4(r.retune.acc), asr: r4(r.retune.asr) }, command: `tsbd ${args.join(' ')}` };
        appendFileSync(results, `${JSON.stringify(line)}\n`);
        log(`${spec.id} ${role} K=${k}: ASR ${line.given.asr} -> ${line.retuned.asr}`);
      }
    }
  }
}
