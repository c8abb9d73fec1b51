/**
 * A training script in the shape of tfjs-examples' mnist-node, with TSBD dropped in step by step.
 * It is a library user's view: the model and data are theirs; tfjs-tsbd adds a snapshot hook, two callbacks and an
 * optimizer wrapper to the `model.fit` calls they already have.
 *
 * Run (after `npm run build`): node dist-examples... or with ts-jest's compiler: see README "Drop-in example".
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { badNets } from '../src/attacks/badnets';
import { selectBackend } from '../src/backend/select_backend';
import { nwcReinit, reinitMask, unlearningStop } from '../src/callbacks';
import { loadFashionMnist } from '../src/data/fashion_mnist';
import { toTensors } from '../src/data/tensors';
import { subset } from '../src/data/image_set';
import { nwcScores, weightSnapshot } from '../src/hooks';
import { crossEntropyLoss, unlearningLoss } from '../src/losses';
import { evaluate } from '../src/metrics';
import { cloneModel } from '../src/models/clone_model';
import { smallCnn } from '../src/models/small_cnn';
import { gradNorm } from '../src/regularizers';

export async function run(): Promise<void> {
  await selectBackend('auto');
  const { train, test } = loadFashionMnist('subset');

  // --- The user's existing script: a model trained on data an attacker poisoned (BadNets, 10%). ---
  const attack = badNets({ rate: 0.1, target: 0, seed: 1 });
  const model = smallCnn({ inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
  model.compile({ optimizer: tf.train.adam(0.002), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const poisoned = toTensors(attack.poison(train).set);
  await model.fit(poisoned.x, poisoned.y, { epochs: 2, batchSize: 64, shuffle: false, verbose: 0 });
  tf.dispose([poisoned.x, poisoned.y]);
  console.log('backdoored', await evaluate(model, test, attack));

  // --- TSBD, with the clean data the defender holds (here 800 clean training images). ---
  const clean = subset(train, Array.from({ length: 800 }, (_, i) => i));
  const { x, y } = toTensors(clean);

  // Stage 1a: unlearn a copy (gradient ascent) until clean accuracy falls to chance or the net collapses.
  const snapshot = weightSnapshot(model);
  const copy = cloneModel(model);
  copy.compile({ optimizer: tf.train.momentum(1e-4, 0.9), loss: unlearningLoss('probabilities') });
  await copy.fit(x, y, { epochs: 1000, batchSize: 256, verbose: 0, callbacks: [unlearningStop({ x, y })] });

  // Stage 1b-c: rank neurons by weight change, zero the top 10% neurons' most-moved weights in the ORIGINAL.
  const scores = nwcScores(snapshot, copy);
  snapshot.dispose();
  copy.dispose();
  const mask = reinitMask(scores, 0.1);

  // Stage 2: fine-tune with the activeness-aware (gradient-norm) optimizer; the reinit callback applies the mask.
  const inner = tf.train.momentum(0.01, 0.9);
  model.compile({ optimizer: gradNorm(inner, { rho: 0.05, alpha: 0.7 }), loss: crossEntropyLoss('probabilities'), metrics: ['accuracy'] });
  await model.fit(x, y, { epochs: 20, batchSize: 256, verbose: 0, callbacks: [nwcReinit({ mask })] });
  console.log('purified', await evaluate(model, test, attack));
  tf.dispose([x, y]);
  inner.dispose();
  model.dispose();
  void tfl;
}

if (require.main === module) void run();
