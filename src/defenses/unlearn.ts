import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { UnlearningStop } from '../callbacks/unlearning_stop';
import type { ImageSet } from '../data/image_set';
import { toTensors } from '../data/tensors';
import type { TsbdEmitter } from '../events';
import { nwcScores, type NwcScores } from '../hooks/nwc';
import { WeightSnapshot } from '../hooks/weight_snapshot';
import { disposeOptimizer } from '../internal/dispose_optimizer';
import { unlearningLoss } from '../losses/unlearning_loss';
import { cloneModel } from '../models/clone_model';
import { fitImageSet } from '../training/fit_image_set';
import type { ResolvedPurifyOptions } from './tsbd_options';

/**
 * Stage 1a-b: gradient ascent on a copy of the model, then NWC scores of original vs unlearned copy. `inspect` sees
 * the unlearned copy before it is freed (analysis that needs more than the scores, e.g. bench/zoo_head_rows.ts).
 */
export async function unlearn(
  model: tfl.LayersModel,
  clean: ImageSet,
  output: 'probabilities' | 'logits',
  o: ResolvedPurifyOptions,
  events?: TsbdEmitter,
  inspect?: (copy: tfl.LayersModel) => void,
): Promise<{ scores: NwcScores; epochs: number; stopReason: string; acc: number }> {
  const u = o.unlearn;
  const copy = cloneModel(model);
  const snapshot = WeightSnapshot.capture(model, o.layers);
  const optimizer = tf.train.momentum(u.lr, u.momentum);
  const { x, y } = toTensors(clean, o.range);
  try {
    copy.compile({ optimizer, loss: unlearningLoss(output) });
    const stop = new UnlearningStop({
      x,
      y,
      targetAcc: u.targetAcc,
      collapseShare: u.collapseShare,
      maxEpochs: u.maxEpochs,
    });
    await fitImageSet(copy, clean, {
      epochs: u.maxEpochs,
      batchSize: u.batchSize,
      seed: o.seed,
      augment: o.augment,
      range: o.range,
      callbacks: [stop],
      onEpochEnd: (epoch, loss) => {
        const last = stop.history[stop.history.length - 1];
        events?.emit('epochEnd', 'unlearn', epoch + 1, u.maxEpochs, loss, last?.acc ?? Number.NaN);
      },
    });
    const last = stop.history[stop.history.length - 1];
    inspect?.(copy);
    return {
      scores: nwcScores(snapshot, copy, { relative: o.relativeNwc }),
      epochs: stop.history.length,
      stopReason: stop.stopReason ?? 'maxEpochs',
      acc: last?.acc ?? Number.NaN,
    };
  } finally {
    x.dispose();
    y.dispose();
    disposeOptimizer(optimizer);
    snapshot.dispose();
    copy.dispose();
  }
}
