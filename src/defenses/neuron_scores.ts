import type { RankedNeuron } from '../hooks/nwc';
import { checkNumber } from '../internal/assert';

/**
 * The neuron-scoring pipeline shared by TSBD and the pruning defenses: a scorer gives every neuron (output unit of a
 * scored layer) a suspicion score, the ranking orders them, a selection takes the most suspect, and an action
 * prunes them ({@link pruneNeurons}) or zeroes part of their weights (`applyReinit`, TSBD's zero re-initialisation).
 *
 * Scorers: NWC (TSBD; `nwcScores` in src/hooks/nwc.ts, whose `NwcScores` is a NeuronRanking), dormancy on clean data
 * (Fine-Pruning; {@link meanActivations}) and the channel Lipschitz bound (CLP; {@link channelLipschitz}).
 */

/** One scored layer: a suspicion score per neuron, higher = more suspect. */
export interface ScoredLayer {
  readonly layerName: string;
  readonly numNeurons: number;
  readonly neuronScores: Float32Array;
}

/** Scores of every neuron of the scored layers and ONE ranking over all of them, most suspect first. */
export interface NeuronRanking {
  readonly layers: readonly ScoredLayer[];
  readonly ranking: readonly RankedNeuron[];
}

/**
 * Ranks neurons by descending score across all layers; ties go to the earlier layer, then the lower neuron index
 * (the rule NwcScores uses). Plain data, no tensors.
 */
export function rankNeurons(layers: readonly ScoredLayer[]): NeuronRanking {
  const ranking: (RankedNeuron & { order: number })[] = [];
  layers.forEach((l, order) => {
    l.neuronScores.forEach((score, neuron) => ranking.push({ layer: l.layerName, neuron, score, order }));
  });
  ranking.sort((a, b) => b.score - a.score || a.order - b.order || a.neuron - b.neuron);
  return { layers, ranking: ranking.map(({ layer, neuron, score }) => ({ layer, neuron, score })) };
}

/** The first `count` neurons of the ranking (all of them when count exceeds its length). */
export function topNeurons(ranking: NeuronRanking, count: number): RankedNeuron[] {
  checkNumber('count', count, 0, Infinity, { integer: true });
  return ranking.ranking.slice(0, count);
}

/**
 * The neurons of each layer whose score is above that layer's mean + u standard deviations (population standard
 * deviation over the layer's neurons): CLP's outlier rule (Zheng et al., ECCV 2022). Per layer, ascending index.
 */
export function outlierNeurons(ranking: NeuronRanking, u: number): RankedNeuron[] {
  checkNumber('u', u, 0, Infinity);
  const out: RankedNeuron[] = [];
  for (const l of ranking.layers) {
    const s = l.neuronScores;
    if (s.length === 0) continue;
    let mean = 0;
    for (const v of s) mean += v;
    mean /= s.length;
    let variance = 0;
    for (const v of s) variance += (v - mean) ** 2;
    const threshold = mean + u * Math.sqrt(variance / s.length);
    s.forEach((score, neuron) => {
      if (score > threshold) out.push({ layer: l.layerName, neuron, score });
    });
  }
  return out;
}
