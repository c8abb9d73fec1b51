/**
 * A training script in the shape of tfjs-examples' mnist-node, with TSBD dropped in step by step: the model and the
 * data are the user's; tfjs-tsbd adds a snapshot hook, two callbacks and an optimizer wrapper to the `model.fit`
 * calls the script already has. In a user's project the import is `from 'tfjs-tsbd'`.
 *
 * Run: npm run build && node dist-examples/fit_with_tsbd.js   (see README, "Drop-in example")
 */
import * as tf from '@tensorflow/tfjs-core';
import { attacks, backend, callbacks, data, hooks, losses, metrics, models, regularizers } from '../src';

export async function run(): Promise<void> {
  await backend.selectBackend('auto');
  const { train, test } = data.loadFashionMnist('subset');

  // --- The user's existing script: a model trained on data an attacker poisoned (BadNets, 10%). ---
  const attack = attacks.badNets({ rate: 0.1, target: 0, seed: 1 });
  const model = models.smallCnn({ inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
  const adam = tf.train.adam(0.002);
  model.compile({ optimizer: adam, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const poisoned = data.toTensors(attack.poison(train).set);
  await model.fit(poisoned.x, poisoned.y, { epochs: 2, batchSize: 64, verbose: 0 });
  tf.dispose([poisoned.x, poisoned.y]);
  console.log('backdoored', await metrics.evaluate(model, test, attack));

  // --- TSBD with the clean data the defender holds (here 800 clean training images). ---
  const clean = data.subset(train, Array.from({ length: 800 }, (_, i) => i));
  const { x, y } = data.toTensors(clean);

  // Stage 1a: unlearn a copy (gradient ascent) until clean accuracy falls to chance or the net collapses.
  const snapshot = hooks.weightSnapshot(model);
  const copy = models.cloneModel(model);
  const ascent = tf.train.momentum(0.01, 0.9);
  copy.compile({ optimizer: ascent, loss: losses.unlearningLoss('probabilities') });
  await copy.fit(x, y, { epochs: 100, batchSize: 80, verbose: 0, callbacks: [callbacks.unlearningStop({ x, y })] });

  // Stage 1b-c: rank neurons by weight change; zero the top 10% neurons' most-moved weights in the ORIGINAL.
  const scores = hooks.nwcScores(snapshot, copy);
  snapshot.dispose();
  copy.dispose();
  const mask = callbacks.reinitMask(scores, 0.1);

  // Stage 2: fine-tune with the activeness-aware optimizer; the callback applies the mask at train begin.
  const inner = tf.train.momentum(0.01, 0.9);
  model.compile({
    optimizer: regularizers.gradNorm(inner, { rho: 0.05, alpha: 0.7 }),
    loss: losses.crossEntropyLoss('probabilities'),
    metrics: ['accuracy'],
  });
  await model.fit(x, y, { epochs: 20, batchSize: 80, verbose: 0, callbacks: [callbacks.nwcReinit({ mask })] });
  console.log('purified', await metrics.evaluate(model, test, attack));

  tf.dispose([x, y]);
  for (const o of [adam, ascent, inner]) o.dispose();
  model.dispose();
}

if (require.main === module) void run();
