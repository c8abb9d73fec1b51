/**
 * Issue 10, lasting purification: how far past a purified model, away from the suspect one, the weights can be moved
 * (theta <- theta + beta * (theta - theta_suspect), see extrapolateWeights), with or without recovery epochs of
 * stage-2 fine-tuning, and what that does to ACC, ASR and the retuning attack (K = 20). Development models only (it
 * reads the trigger and the test split).
 *
 *   node --import tsx bench/zoo_extrapolate.ts --only D2 --purified runs/D2-tsbd-first-rule --betas 0,0.5,1 --recover 0
 *
 * One JSON line per beta on stdout. `--purified` is relative to the zoo directory (see zoo.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { createAttack } from '../src/attacks/registry';
import { selectBackend } from '../src/backend';
import { defenderSplit } from '../src/data/defender_split';
import { loadFashionMnist } from '../src/node';
import { compileForFinetune } from '../src/defenses/stage_tools';
import { resolvePurifyOptions } from '../src/defenses/tsbd_options';
import { loadModel } from '../src/io/file_handler';
import { evaluate } from '../src/metrics/evaluate';
import { retuneAttack } from '../src/metrics/retune_attack';
import { extrapolateWeights } from '../src/models/extrapolate_weights';
import { checkClassifier, outputKind } from '../src/models/output_kind';
import { recalibrateBatchNorm } from '../src/models/recalibrate_batch_norm';
import { fitImageSet } from '../src/training/fit_image_set';

import { benchArgs } from './args';
import { selectSpecs, zooDir } from './zoo';

const USAGE = 'usage: node --import tsx bench/zoo_extrapolate.ts --only D2 --purified runs/D2-tsbd [--betas 0,0.5,1] [--recover 0] [--dir DIR]';
const r4 = (v: number): number => Math.round(v * 10000) / 10000;

async function main(): Promise<void> {
  const args = benchArgs(process.argv.slice(2), USAGE, { only: 'string', purified: 'string', betas: 'string', recover: 'string', dir: 'string' });
  const spec = selectSpecs(args.string('only'))[0];
  if (spec === undefined || spec.half !== 'dev') return args.fail('one development model (--only D2)');
  const purifiedDir = args.string('purified') ?? args.fail('--purified is required');
  const root = zooDir(args.string('dir'));
  const betas = (args.string('betas') ?? '0,0.5,1').split(',').map(Number);
  const recover = Number(args.string('recover') ?? '0');
  await selectBackend('auto');
  const { train, test } = loadFashionMnist('full');
  const { clean, rest } = defenderSplit(train, 0.05, 0);
  const suspect = await loadModel(join(root, spec.id));
  const attack = createAttack(JSON.parse(readFileSync(join(root, spec.id, 'attack.json'), 'utf8')) as { name: string });
  const o = resolvePurifyOptions({}, checkClassifier(suspect).numClasses, clean.count);
  try {
    for (const beta of betas) {
      const model = await loadModel(join(root, purifiedDir));
      try {
        extrapolateWeights(model, suspect, beta);
        recalibrateBatchNorm(model, clean);
        if (recover > 0) {
          const opt = compileForFinetune(model, outputKind(model), o.finetune);
          try {
            await fitImageSet(model, clean, { epochs: recover, batchSize: o.finetune.batchSize, seed: 2, augment: false, range: o.range });
          } finally {
            opt.dispose();
          }
          recalibrateBatchNorm(model, clean);
        }
        const after = await evaluate(model, test, attack);
        const retuned = await retuneAttack(model, { clean, poisonPool: rest, attack, k: 20, test });
        const line = { id: spec.id, purified: purifiedDir, beta, recover, after: { acc: r4(after.acc), asr: r4(after.asr) }, retune20: { acc: r4(retuned.acc), asr: r4(retuned.asr) } };
        process.stdout.write(`${JSON.stringify(line)}\n`);
      } finally {
        model.dispose();
      }
    }
  } finally {
    suspect.dispose();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
