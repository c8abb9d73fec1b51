/**
 * Does the paper's pooled weight fraction m keep a patch trigger's path? On a development MLP (its first scored
 * layer a Dense on the raw pixels) this unlearns as `purify` does, then prints:
 * - each trigger pixel's standard deviation on the clean images, over the median pixel's (near 0: a pixel clean data
 *   never lights, whose weights no clean gradient moves);
 * - the mean |weight change| under unlearning of the first layer's weights from trigger pixels and from the others;
 * - for n = 0.3 and 0.5 and m = 0.7 and 1: how many first-layer units the mask touches, and the share of the
 *   absolute weight mass from trigger pixels into those units that it zeroes.
 * It reads the trigger: analysis of the development half only, never part of a defense.
 *
 *   node --import tsx bench/zoo_trigger_weights.ts --only D4
 */
import { join } from 'node:path';

import { reinitMask } from '../src/callbacks/nwc_reinit';
import { selectBackend } from '../src/backend';
import { defenderSplit } from '../src/data/defender_split';
import { loadFashionMnist } from '../src/node';
import { resolvePurifyOptions } from '../src/defenses/tsbd_options';
import { unlearn } from '../src/defenses/unlearn';
import { loadModel } from '../src/io/file_handler';
import { outputKind } from '../src/models/output_kind';

import { benchArgs } from './args';
import { selectSpecs, zooDir } from './zoo';

const USAGE = 'usage: node --import tsx bench/zoo_trigger_weights.ts --only D4 [--dir DIR]';

async function main(): Promise<void> {
  const args = benchArgs(process.argv.slice(2), USAGE, { only: 'string', dir: 'string' });
  const spec = selectSpecs(args.string('only'))[0];
  if (spec === undefined || spec.half !== 'dev' || spec.arch !== 'mlp') return args.fail('one development MLP (--only D4)');
  const pos = spec.attack.position;
  if (typeof pos === 'string') return args.fail('a trigger at a {row, col} position');
  await selectBackend('auto');
  const { train } = loadFashionMnist('full');
  const { clean } = defenderSplit(train, 0.05, 0);
  const model = await loadModel(join(zooDir(args.string('dir')), spec.id));
  try {
    const o = resolvePurifyOptions({ seed: 0 }, clean.numClasses, clean.count);
    const { scores } = await unlearn(model, clean, outputKind(model), o);
    const first = scores.layers[0];
    if (first === undefined || first.shape.length !== 2) return args.fail(`${spec.id}: the first scored layer is not a Dense`);
    const [inputs, units] = first.shape as [number, number];
    const width = clean.width;
    const trigger = new Set<number>();
    for (let r = pos.row; r < pos.row + spec.attack.patchSize; r++) {
      for (let c = pos.col; c < pos.col + spec.attack.patchSize; c++) trigger.add(r * width + c);
    }

    const sd = new Float64Array(inputs);
    for (let p = 0; p < inputs; p++) {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < clean.count; i++) {
        const v = (clean.images[i * inputs + p] as number) / 255;
        s += v;
        s2 += v * v;
      }
      const mean = s / clean.count;
      sd[p] = Math.sqrt(Math.max(0, s2 / clean.count - mean * mean));
    }
    const median = Float64Array.from(sd).sort()[inputs >> 1] as number;

    let triggerChange = 0;
    let otherChange = 0;
    first.absDelta.forEach((d, i) => {
      if (trigger.has(Math.floor(i / units))) triggerChange += d;
      else otherChange += d;
    });
    const layer = model.getLayer(first.layerName);
    const kernel = layer.getWeights()[0];
    if (kernel === undefined) return args.fail(`${first.layerName} has no kernel`);
    const w = kernel.dataSync();
    const masks = [];
    for (const [n, m] of [[0.3, 0.7], [0.3, 1], [0.5, 0.7], [0.5, 1]] as const) {
      const mask = reinitMask(scores, n, m).layers.get(first.layerName) ?? new Uint8Array(first.absDelta.length);
      const touched = new Set<number>();
      mask.forEach((z, i) => z === 1 && touched.add(i % units));
      let mass = 0;
      let zeroed = 0;
      for (const p of trigger) {
        for (const j of touched) {
          const a = Math.abs(w[p * units + j] as number);
          mass += a;
          if (mask[p * units + j] === 1) zeroed += a;
        }
      }
      masks.push({ n, m, unitsTouched: touched.size, units, triggerMassZeroed: mass > 0 ? zeroed / mass : 0 });
    }
    const line = {
      id: spec.id,
      layer: first.layerName,
      triggerPixelSdOverMedian: [...trigger].map((p) => Math.round(((sd[p] as number) / median) * 100) / 100),
      meanChange: { trigger: triggerChange / (trigger.size * units), other: otherChange / ((inputs - trigger.size) * units) },
      masks,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  } finally {
    model.dispose();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
