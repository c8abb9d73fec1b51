import type * as tfl from '@tensorflow/tfjs-layers';
import { findKernel } from '../hooks/scorable_layers';
import { layerChain } from './layer_chain';
import { rankNeurons, type NeuronRanking, type ScoredLayer } from './neuron_scores';
import { largestSingularValue } from './spectral_norm';

/**
 * Upper bound of each output channel's Lipschitz constant (UCLC) of a Conv2D kernel, as CLP defines it (Zheng et
 * al., ECCV 2022): channel k's weights W[:, :, :, k] (tfjs layout [kh, kw, in, out]) read as an in x (kh*kw) matrix,
 * multiplied by the following BatchNorm's gamma_k / sqrt(movingVariance_k + epsilon) when there is one, and its
 * largest singular value. Plain numbers.
 */
export function channelLipschitz(kernel: ArrayLike<number>, shape: readonly number[], bnScale?: ArrayLike<number>): Float32Array {
  const [kh, kw, inC, outC] = shape as [number, number, number, number];
  const out = new Float32Array(outC);
  const m = new Float64Array(inC * kh * kw);
  for (let k = 0; k < outC; k++) {
    const scale = bnScale === undefined ? 1 : (bnScale[k] as number);
    for (let h = 0; h < kh; h++) {
      for (let w = 0; w < kw; w++) {
        for (let i = 0; i < inC; i++) m[i * kh * kw + h * kw + w] = (kernel[((h * kw + w) * inC + i) * outC + k] as number) * scale;
      }
    }
    out[k] = largestSingularValue(m, inC, kh * kw);
  }
  return out;
}

/** gamma / sqrt(movingVariance + epsilon) per channel of a BatchNormalization layer (gamma 1 when it has none). */
function batchNormScale(bn: tfl.layers.Layer): Float32Array {
  const find = (n: string): Float32Array | undefined => {
    const w = bn.weights.find((v) => v.originalName.endsWith(n));
    return w === undefined ? undefined : Float32Array.from(w.read().dataSync());
  };
  const variance = find('moving_variance') as Float32Array;
  const gamma = find('gamma');
  const eps = Number(bn.getConfig()['epsilon'] ?? 1e-3);
  return Float32Array.from(variance, (v, k) => (gamma === undefined ? 1 : (gamma[k] as number)) / Math.sqrt(v + eps));
}

/**
 * CLP's data-free scorer: the UCLC of every channel of every top-level Conv2D of `model` (with the BatchNorm that
 * follows it folded in, see {@link channelLipschitz}), ranked. CLP thresholds each layer separately
 * (`outlierNeurons`), so the global order is only for reporting.
 */
export function lipschitzRanking(model: tfl.LayersModel): NeuronRanking {
  const layers: ScoredLayer[] = [];
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'Conv2D') continue;
    const k = findKernel(model, layer.name);
    const bn = layerChain(model, layer.name).find((l) => l.getClassName() === 'BatchNormalization');
    const scores = channelLipschitz(k.variable.read().dataSync(), k.shape, bn === undefined ? undefined : batchNormScale(bn));
    layers.push({ layerName: layer.name, numNeurons: k.numNeurons, neuronScores: scores });
  }
  return rankNeurons(layers);
}
