/**
 * `npm run zoo -- analyze --only D1` (via bench/zoo.ts): why TSBD fails where it fails, on development models whose
 * trigger we know (issue 10, deliverable 2). Prints one JSON object per model with:
 * - unlearning: epochs, stop reason, clean accuracy when it stopped;
 * - per scored layer (convs and hidden Dense): NWC per neuron against the trigger-activated change (TAC, the
 *   paper's Fig. 4: mean activation on stamped minus clean test images, per neuron, absolute), as a Spearman rank
 *   correlation, and the share of the layer's top-10% TAC neurons that NWC also puts in its top 10%;
 * - oracle: ASR / ACC after zeroing all incoming weights of each layer's top-10% TAC neurons (no fine-tuning), which
 *   says where the backdoor lives;
 * - a sweep of stage 1 alone: for each n and each ranking variant, ASR / ACC after zero re-initialisation, after
 *   BatchNorm recalibration, and after a short plain recovery on the clean set.
 * This uses the trigger and test data: it is analysis, never part of a defense.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import { applyReinit, reinitMask } from '../src/callbacks/nwc_reinit';
import type { ImageSet } from '../src/data/image_set';
import { subset } from '../src/data/image_set';
import { toTensors } from '../src/data/tensors';
import { purify } from '../src/defenses/tsbd';
import { cleanSplits } from '../src/defenses/clean_split';
import { resolvePurifyOptions } from '../src/defenses/tsbd_options';
import { NwcScores, type NwcLayer } from '../src/hooks/nwc';
import { findKernel, leafLayers } from '../src/hooks/scorable_layers';
import { disposeOptimizer } from '../src/internal/dispose_optimizer';
import { crossEntropyLoss } from '../src/losses/cross_entropy';
import { evaluate } from '../src/metrics/evaluate';
import { cloneModel } from '../src/models/clone_model';
import { checkClassifier, outputKind } from '../src/models/output_kind';
import { recalibrateBatchNorm } from '../src/models/recalibrate_batch_norm';
import type { Attack } from '../src/attacks/attack';
import { fitImageSet } from '../src/training/fit_image_set';

/** Spearman rank correlation (average ranks for ties are not needed here: float scores rarely tie). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const rank = (v: ArrayLike<number>): Float64Array => {
    const idx = Array.from({ length: v.length }, (_, i) => i).sort((i, j) => (v[i] as number) - (v[j] as number));
    const r = new Float64Array(v.length);
    idx.forEach((i, k) => (r[i] = k));
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const n = ra.length;
  const mean = (n - 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    const x = (ra[i] as number) - mean;
    const y = (rb[i] as number) - mean;
    num += x * y;
    da += x * x;
    db += y * y;
  }
  return num / Math.sqrt(da * db);
}

const topIdx = (v: ArrayLike<number>, k: number): Set<number> =>
  new Set(Array.from({ length: v.length }, (_, i) => i).sort((i, j) => (v[j] as number) - (v[i] as number)).slice(0, k));

/** Per-neuron mean activation over `set` of each named leaf layer of `model` (channel means over space for convs). */
export function meanActivations(model: tfl.LayersModel, names: string[], set: ImageSet): Float32Array[] {
  const layers = leafLayers(model);
  const outputs = names.map((n) => (layers.find((l) => l.name === n) as tfl.layers.Layer).output as tfl.SymbolicTensor);
  const probe = tfl.model({ inputs: model.inputs, outputs });
  const { x, y } = toTensors(set);
  y.dispose();
  const res = tf.tidy(() => {
    const outs = probe.predict(x, { batchSize: 256 }) as tf.Tensor | tf.Tensor[];
    const list = Array.isArray(outs) ? outs : [outs];
    return list.map((t) => {
      const axes = Array.from({ length: t.rank - 1 }, (_, i) => i);
      return tf.mean(t, axes);
    });
  });
  x.dispose();
  const arrays = res.map((t) => t.dataSync() as Float32Array);
  tf.dispose(res);
  return arrays;
}

/** Per-neuron |mean activation on stamped - on clean| for each named layer (channel means over space for convs). */
async function triggerActivatedChange(model: tfl.LayersModel, names: string[], clean: ImageSet, stamped: ImageSet): Promise<Map<string, Float32Array>> {
  const c = meanActivations(model, names, clean);
  const s = meanActivations(model, names, stamped);
  const out = new Map<string, Float32Array>();
  names.forEach((n, k) => out.set(n, Float32Array.from(c[k] as Float32Array, (v, j) => Math.abs(((s[k] as Float32Array)[j] as number) - v))));
  return out;
}

/**
 * NwcScores over the given layers. 'relative' divides each element's |change| by its neuron's L1 weight norm in the
 * original model, so a neuron's score is its relative change sum|dw| / sum|w| (invariant to the weight scale a
 * following BatchNorm makes arbitrary).
 */
function variant(scores: NwcScores, keep: (l: NwcLayer) => boolean, model?: tfl.LayersModel, perLayer = false): NwcScores {
  return new NwcScores(
    scores.layers.filter(keep).map((l) => {
      if (perLayer) {
        // Neuron j's score becomes its percentile within its layer (1 = the layer's highest NWC): the global top n is
        // then the top n of every layer. Its weights' |change| is rescaled by the same factor, so the m-selection
        // compares weights across layers on that scale.
        const order = Array.from({ length: l.numNeurons }, (_, j) => j).sort((a, b) => (l.neuronScores[b] as number) - (l.neuronScores[a] as number));
        const pct = new Float64Array(l.numNeurons);
        order.forEach((j, r) => (pct[j] = 1 - r / l.numNeurons));
        return { layerName: l.layerName, kind: l.kind, shape: l.shape, absDelta: Float32Array.from(l.absDelta, (v, i) => (v * (pct[i % l.numNeurons] as number)) / ((l.neuronScores[i % l.numNeurons] as number) || 1)) };
      }
      if (model === undefined) return { layerName: l.layerName, kind: l.kind, shape: l.shape, absDelta: l.absDelta };
      const w = findKernel(model, l.layerName).variable.read().dataSync();
      const norm = new Float64Array(l.numNeurons);
      for (let i = 0; i < w.length; i++) norm[i % l.numNeurons] = (norm[i % l.numNeurons] as number) + Math.abs(w[i] as number);
      return { layerName: l.layerName, kind: l.kind, shape: l.shape, absDelta: Float32Array.from(l.absDelta, (v, i) => v / ((norm[i % l.numNeurons] as number) || 1)) };
    }),
  );
}

async function recover(model: tfl.LayersModel, clean: ImageSet, epochs: number, seed: number): Promise<void> {
  const opt = tf.train.momentum(0.01, 0.9);
  try {
    model.compile({ optimizer: opt, loss: crossEntropyLoss(outputKind(model)) });
    await fitImageSet(model, clean, { epochs, batchSize: 64, seed, augment: false, range: { min: 0, max: 1 } });
  } finally {
    disposeOptimizer(opt);
  }
}

const r3 = (v: number): number => Math.round(v * 1000) / 1000;

/** Analyses one model; see the file comment. */
export async function analyzeModel(model: tfl.LayersModel, attack: Attack, clean: ImageSet, test: ImageSet, log: (s: string) => void): Promise<Record<string, unknown>> {
  const testSub = subset(test, Array.from({ length: 2000 }, (_, i) => i));
  const before = await evaluate(model, testSub, attack);
  log(`before ${JSON.stringify(before)}`);
  const t0 = performance.now();
  const { model: stage1, scores, report } = await purify(model, clean, { fraction: 0, layers: 'conv+dense', finetune: { epochs: 0 } });
  stage1.dispose();
  const unlearn = { ...report.unlearn, accAfter: r3(report.cleanAcc.afterUnlearn), seconds: r3((performance.now() - t0) / 1000) };
  log(`unlearn ${JSON.stringify(unlearn)}`);

  const nonTarget = subset(testSub, Array.from({ length: testSub.count }, (_, i) => i).filter((i) => testSub.labels[i] !== attack.target).slice(0, 500));
  const tac = await triggerActivatedChange(model, scores.layers.map((l) => l.layerName), nonTarget, attack.applyTrigger(nonTarget));
  const layers = scores.layers.map((l) => {
    const t = tac.get(l.layerName) as Float32Array;
    const k = Math.max(1, Math.round(0.1 * l.numNeurons));
    const topT = topIdx(t, k);
    const topN = topIdx(l.neuronScores, k);
    const overlap = [...topT].filter((i) => topN.has(i)).length / k;
    return {
      layer: l.layerName,
      kind: l.kind,
      neurons: l.numNeurons,
      fanIn: l.absDelta.length / l.numNeurons,
      meanNwc: r3(l.neuronScores.reduce((a, b) => a + b, 0) / l.numNeurons),
      meanTac: r3(t.reduce((a, b) => a + b, 0) / t.length),
      maxTac: r3(Math.max(...t)),
      spearman: r3(spearman(l.neuronScores, t)),
      top10Overlap: r3(overlap),
    };
  });
  for (const l of layers) log(`layer ${JSON.stringify(l)}`);

  // Oracle: zero all incoming weights of each layer's top-10% TAC neurons.
  const oracle: Record<string, unknown>[] = [];
  for (const l of scores.layers) {
    const t = tac.get(l.layerName) as Float32Array;
    const top = topIdx(t, Math.max(1, Math.round(0.1 * l.numNeurons)));
    const mask = new Uint8Array(l.absDelta.length);
    for (let i = 0; i < mask.length; i++) if (top.has(i % l.numNeurons)) mask[i] = 1;
    const copy = cloneModel(model);
    applyReinit(copy, { fraction: 0, weightFraction: 1, neurons: top.size, weights: 0, layers: new Map([[l.layerName, mask]]) });
    recalibrateBatchNorm(copy, clean);
    const m = await evaluate(copy, testSub, attack);
    copy.dispose();
    oracle.push({ layer: l.layerName, asr: r3(m.asr), acc: r3(m.acc) });
    log(`oracle ${JSON.stringify(oracle[oracle.length - 1])}`);
  }

  // Stage 1 sweep.
  const hasConv = scores.layers.some((l) => l.kind !== 'dense');
  const hasDense = scores.layers.some((l) => l.kind === 'dense');
  const variants: Record<string, NwcScores> = {
    ...(hasConv && hasDense ? { conv: variant(scores, (l) => l.kind !== 'dense') } : {}),
    all: variant(scores, () => true),
    allRelative: variant(scores, () => true, model),
    perLayer: variant(scores, () => true, undefined, true),
  };
  const sweep: Record<string, unknown>[] = [];
  for (const [name, sc] of Object.entries(variants)) {
    for (const n of name === 'conv' ? [] : [0.1, 0.2, 0.3, 0.5]) {
      const copy = cloneModel(model);
      const mask = reinitMask(sc, n, 0.7);
      applyReinit(copy, mask);
      const byLayer = Object.fromEntries([...mask.layers].map(([ln, m]) => [ln, m.reduce((a, b) => a + b, 0)]));
      const zeroed = await evaluate(copy, testSub, attack);
      await recover(copy, clean, 2, 3);
      const rec = await evaluate(copy, testSub, attack);
      const bn = recalibrateBatchNorm(copy, clean);
      const recal = bn > 0 ? await evaluate(copy, testSub, attack) : rec;
      copy.dispose();
      const row = { variant: name, n, zeroed: [r3(zeroed.acc), r3(zeroed.asr)], recovered2ep: [r3(rec.acc), r3(rec.asr)], thenBnRecal: [r3(recal.acc), r3(recal.asr)], byLayer };
      sweep.push(row);
      log(`sweep ${JSON.stringify(row)}`);
    }
  }
  return { before, unlearn, layers, oracle, sweep };
}

/**
 * Issue 10, review item: does the NWC ranking at our unlearning rate agree with the reference's (1e-4)? For each rate,
 * stage 1 alone (n = 0, no fine-tuning) gives the NWC scores; reported are the unlearning epochs and stop reason, and
 * for each pair of rates the Spearman correlation of all neuron scores and the overlap of their top-10% neurons.
 */
export async function compareUnlearnLr(model: tfl.LayersModel, clean: ImageSet, lrs: number[], maxEpochs: number, log: (s: string) => void): Promise<Record<string, unknown>> {
  const runs: { lr: number; epochs: number; stopReason: string; acc: number; seconds: number; scores: Float64Array }[] = [];
  for (const lr of lrs) {
    const t0 = performance.now();
    const { model: out, scores, report } = await purify(model, clean, { fraction: 0, finetune: { epochs: 0 }, unlearn: { lr, maxEpochs } });
    out.dispose();
    const flat = Float64Array.from(scores.layers.flatMap((l) => Array.from(l.neuronScores)));
    const run = { lr, epochs: report.unlearn.epochs, stopReason: report.unlearn.stopReason, acc: r3(report.cleanAcc.afterUnlearn), seconds: r3((performance.now() - t0) / 1000), scores: flat };
    runs.push(run);
    log(`unlearn lr ${lr}: ${run.epochs} epochs, ${run.stopReason}, clean acc ${run.acc}, ${run.seconds} s`);
  }
  const pairs: Record<string, unknown>[] = [];
  for (let i = 0; i < runs.length; i++) {
    for (let j = i + 1; j < runs.length; j++) {
      const a = runs[i] as (typeof runs)[number];
      const b = runs[j] as (typeof runs)[number];
      const k = Math.max(1, Math.round(0.1 * a.scores.length));
      const ta = topIdx(a.scores, k);
      const tb = topIdx(b.scores, k);
      const pair = { lrs: [a.lr, b.lr], spearman: r3(spearman(a.scores, b.scores)), top10Overlap: r3([...ta].filter((x) => tb.has(x)).length / k) };
      pairs.push(pair);
      log(`pair ${JSON.stringify(pair)}`);
    }
  }
  return { runs: runs.map(({ scores: _s, ...r }) => r), pairs };
}

/**
 * Issue 10, "does the probe predict the full fine-tuning?": the probe's recovery, recorded along the way. On the split
 * chooseFraction would use (same seeds), each candidate n (0 is the control) is zero re-initialised and recovered as
 * a probe is (plain momentum SGD at the fine-tuning lr, probe batch size), and its held-out accuracy is read after
 * each epoch in `checkpoints` (BatchNorm re-estimated first). Clean data only. One line per candidate.
 */
export async function probeTrajectories(
  model: tfl.LayersModel,
  clean: ImageSet,
  candidates: number[],
  checkpoints: number[],
  log: (s: string) => void,
): Promise<Record<string, unknown>[]> {
  const { model: unlearned, scores } = await purify(model, clean, { fraction: 0, finetune: { epochs: 0 } });
  unlearned.dispose();
  const o = resolvePurifyOptions({}, checkClassifier(model).numClasses, clean.count);
  const output = outputKind(model);
  const splits = cleanSplits(clean, o.auto.heldOutFraction, o.auto.splits, o.seed + 7);
  const last = Math.max(...checkpoints);
  const baseAccs: number[] = [];
  for (const s of splits) baseAccs.push((await evaluate(model, s.heldOut)).acc);
  const rows: Record<string, unknown>[] = [];
  for (const n of candidates) {
    const accs: Record<number, number[]> = {};
    for (const split of splits) {
      const probe = cloneModel(model);
      const opt = tf.train.momentum(o.finetune.lr, o.finetune.momentum);
      try {
        probe.compile({ optimizer: opt, loss: crossEntropyLoss(output) });
        if (n > 0) applyReinit(probe, reinitMask(scores, n, o.weightFraction));
        await fitImageSet(probe, split.train, {
          epochs: last,
          batchSize: o.auto.probeBatchSize,
          seed: o.seed + 11,
          augment: o.augment,
          range: o.range,
          onEpochEnd: async (epoch) => {
            if (!checkpoints.includes(epoch + 1)) return;
            recalibrateBatchNorm(probe, split.train);
            (accs[epoch + 1] ??= []).push(r3((await evaluate(probe, split.heldOut)).acc));
          },
        });
      } finally {
        disposeOptimizer(opt);
        probe.dispose();
      }
    }
    const row = { n, baseAccs: baseAccs.map(r3), accs, stepsPerEpoch: Math.ceil((splits[0]?.train.count ?? 0) / o.auto.probeBatchSize) };
    log(`trajectory ${JSON.stringify(row)}`);
    rows.push(row);
  }
  return rows;
}
