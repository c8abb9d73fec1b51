/**
 * A training script in the shape of tfjs-examples' mnist-node (its architecture, rmsprop, batches of 128), with TSBD
 * dropped in between its own `model.fit` calls: a snapshot hook, the unlearning-stop callback, the n rule, the reinit
 * and head-shift callbacks and the gradient-norm optimizer wrapper. In a user's project the import is `from 'tfjs-tsbd'`.
 *
 *   npm run -s example -- fit_with_tsbd [--json] [--data full]
 */
import * as tf from '@tensorflow/tfjs-core';

import { callbacks, chooseReinitFraction, data, disposeOptimizer, hooks, losses, models, train } from '../src';
import { poisonedTask, scores, type ExampleArgs, type ExampleResult } from './setup';

/** Fine-tuning learning rate (SGD with momentum 0.9), the reference's. */
const LR = 0.01;

// Stage 2 runs 40 epochs, as purify's does when it re-draws the head (FinetuneOptions.epochs): the re-drawn head and
// the features under it are learned again from the clean images alone, which the reference's 20 epochs leave unfinished.
const SETTINGS = {
  // Short enough for CI on the committed subset: 7,200 poisoned training images, 800 clean.
  subset: { cleanCount: 800, trainEpochs: 3, finetuneEpochs: 40 },
  // The README's: 57,000 training images, 3,000 clean (5% of the training split).
  full: { cleanCount: 3000, trainEpochs: 3, finetuneEpochs: 40 },
};

export async function run({ data: source, log }: ExampleArgs): Promise<ExampleResult> {
  const s = SETTINGS[source];
  const task = poisonedTask(source, s.cleanCount);

  // --- The user's script: mnist-node's model and recipe, on training data an attacker poisoned. ---
  const model = models.buildModel('tfjs-examples-cnn', { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
  const rmsprop = tf.train.rmsprop(0.001);
  model.compile({ optimizer: rmsprop, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const poisoned = data.toTensors(task.poisoned);
  await model.fit(poisoned.x, poisoned.y, { epochs: s.trainEpochs, batchSize: 128, verbose: 0 });
  tf.dispose([poisoned.x, poisoned.y]);
  rmsprop.dispose();
  const before = await scores(model, task);
  log(`backdoored: ACC ${before.acc}, ASR ${before.asr}`);

  // --- TSBD, with the clean images the defender holds. ---
  const start = performance.now();
  const { x, y } = data.toTensors(task.clean);
  const batchSize = Math.max(16, Math.min(256, Math.ceil(task.clean.count / 10)));

  // Stage 1a: unlearn a copy (gradient ascent on the clean set) until it is at chance or predicts one class.
  const snapshot = hooks.weightSnapshot(model);
  const copy = models.cloneModel(model);
  const ascent = tf.train.momentum(0.01, 0.9);
  copy.compile({ optimizer: ascent, loss: losses.unlearningLoss('probabilities') });
  const stop = callbacks.unlearningStop({ x, y });
  await copy.fit(x, y, { epochs: 1000, batchSize, verbose: 0, callbacks: [stop] });
  log(`unlearning stopped after ${stop.history.length} epochs (${stop.stopReason ?? 'maxEpochs'})`);

  // Stage 1b: rank neurons by how far unlearning moved their weights; n from the clean data (largest n whose
  // predicted accuracy cost against plain fine-tuning stays within 0.02).
  const scores1 = hooks.nwcScores(snapshot, copy);
  snapshot.dispose();
  copy.dispose();
  disposeOptimizer(ascent); // tfjs' momentum optimizer keeps its learning-rate scalar after dispose()
  const choice = await chooseReinitFraction(model, scores1, task.clean);
  log(`n = ${choice.fraction} after ${choice.probes.length} probes`);
  const mask = callbacks.reinitMask(scores1, choice.fraction);

  // Stage 1c + 2: the reinit callback zeroes the chosen weights when fit begins; the head-shift callback re-draws the
  // output layer and keeps it away from the suspect's (mnist-node's output is fed by its hidden Dense 512, where the
  // backdoor sits; the n rule above assumed it, as purify's headShift 'auto' does for such nets); the wrapped
  // optimizer takes the activeness-aware step; BatchNorm statistics (none here) are re-estimated when fit ends.
  const shift = callbacks.headShift({ weight: 3 });
  const reinit = callbacks.nwcReinit({ mask }); // one instance for both fits: it zeroes the weights once
  // The re-drawn head first learns alone for 5 epochs (the rest frozen), as purify's headWarmup does: while it is
  // random its gradients would wreck the features the model learned from its full training set. Its own optimizer:
  // tfjs optimizers keep their slots by the position of a variable in the list they were first given.
  const activenessAware = (): { optimizer: tf.Optimizer; inner: tf.MomentumOptimizer; dispose: () => void } => {
    const inner = tf.train.momentum(LR, 0.9);
    const optimizer = train.gradNorm(inner, { rho: 0.05, alpha: 0.7 });
    const dispose = (): void => {
      optimizer.dispose();
      disposeOptimizer(inner);
    };
    return { optimizer, inner, dispose };
  };
  await models.withOnlyHeadTrainable(model, async () => {
    const warm = activenessAware();
    model.compile({ optimizer: warm.optimizer, loss: 'categoricalCrossentropy' });
    await model.fit(x, y, { epochs: 5, batchSize, verbose: 0, callbacks: [reinit, shift] });
    warm.dispose();
  });
  // Stage 2's rate decays along a half cosine over its epochs, as purify's finetune.schedule 'cosine' does: the late,
  // small steps settle the features without undoing what the early ones removed.
  const stage2 = activenessAware();
  model.compile({ optimizer: stage2.optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  await model.fit(x, y, {
    epochs: s.finetuneEpochs,
    batchSize,
    verbose: 0,
    callbacks: [
      reinit,
      shift,
      callbacks.cosineDecay({ optimizer: stage2.inner, lr: LR, epochs: s.finetuneEpochs }),
      callbacks.batchNormRecalibration({ set: task.clean }),
    ],
  });
  shift.dispose();
  const seconds = (performance.now() - start) / 1000;
  tf.dispose([x, y]);
  stage2.dispose();

  const after = await scores(model, task);
  log(`purified: ACC ${after.acc}, ASR ${after.asr} (${seconds.toFixed(0)} s)`);
  model.dispose();
  return { before, after, seconds: Math.round(seconds), fraction: choice.fraction, probes: choice.probes.length };
}
