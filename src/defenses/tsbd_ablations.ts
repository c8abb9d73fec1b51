import type { ReinitMask } from '../callbacks/nwc_reinit';
import type { NwcScores } from '../hooks/nwc';
import { Rng } from '../internal/rng';
import type { Defense } from './defense';
import { TSBD_OPTIONS, tsbdVariant } from './tsbd_defense';

/*
 * TSBD ablations (issue 12: where does the credit go?). Each changes ONE part of `tsbd` and keeps the rest, stage 3
 * included, so that a row differs from TSBD's by that part alone.
 */

const without = (...names: string[]): typeof TSBD_OPTIONS => TSBD_OPTIONS.filter((s) => !names.includes(s.name));

/**
 * Re-initialisation + plain fine-tuning: TSBD with the gradient-norm term off (alpha = 0 in stage 2 and stage 3's
 * recovery), i.e. the TSBD paper's "w/o activeness-aware fine-tuning" row (Lin et al., NeurIPS 2024, ablation).
 */
export const tsbdReinitFt: Defense = tsbdVariant(
  'tsbd-reinit-ft',
  'TSBD ablation: NWC re-initialisation + plain fine-tuning (alpha = 0)',
  without('alpha'),
  { finetune: { alpha: 0 } },
);

/**
 * Activeness-aware fine-tuning alone: TSBD with n = 0 (nothing re-initialised), the TSBD paper's "w/o
 * re-initialisation" row. Clean unlearning still runs (purify ranks before it knows n is 0), so its seconds include
 * the unlearning that its result does not use.
 */
export const tsbdActivenessFt: Defense = tsbdVariant(
  'tsbd-aaft',
  'TSBD ablation: activeness-aware fine-tuning alone (n = 0)',
  without('n', 'm', 'relative-nwc'),
  { fraction: 0 },
);

/**
 * A zero re-initialisation mask of `count` kernel elements drawn uniformly (seeded) among all kernel elements of the
 * layers `scores` covers, whatever their NWC. Plain data.
 */
export function randomMask(scores: NwcScores, count: number, seed: number, like: ReinitMask): ReinitMask {
  const sizes = scores.layers.map((l) => l.absDelta.length);
  const total = sizes.reduce((a, b) => a + b, 0);
  const chosen = new Rng(seed).permutation(total).subarray(0, Math.min(count, total));
  const layers = new Map<string, Uint8Array>();
  const neurons = new Set<string>();
  for (const flat of chosen) {
    let rest = flat;
    let li = 0;
    while (rest >= (sizes[li] as number)) rest -= sizes[li++] as number;
    const layer = scores.layers[li] as NwcScores['layers'][number];
    let m = layers.get(layer.layerName);
    if (m === undefined) {
      m = new Uint8Array(layer.absDelta.length);
      layers.set(layer.layerName, m);
    }
    m[rest] = 1;
    neurons.add(`${li}:${rest % layer.numNeurons}`);
  }
  return { fraction: like.fraction, weightFraction: like.weightFraction, neurons: neurons.size, weights: chosen.length, layers };
}

/**
 * Random-weight control: TSBD, but the weights zeroed are as many as NWC's mask would zero (same n, chosen the same
 * way, and same m), drawn uniformly at random among all kernel weights of the scored layers. Does NWC beat chance?
 * The report's `neurons` counts the distinct neurons the random weights fall in.
 */
export const tsbdRandomControl: Defense = tsbdVariant(
  'tsbd-random',
  "TSBD control: as many randomly chosen weights zeroed as NWC's mask, then activeness-aware fine-tuning",
  TSBD_OPTIONS,
  {},
  (seed) => ({ remask: (mask, scores) => randomMask(scores, mask.weights, seed + 11, mask) }),
);
