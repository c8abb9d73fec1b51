/**
 * A training script in the shape of tfjs-examples' mnist-node (its architecture, rmsprop, batches of 128), with TSBD
 * dropped in between its own `model.fit` calls: the trigger-inversion hook, a snapshot hook, the unlearning-stop
 * callback, the n rule, the reinit and extrapolation callbacks and the gradient-norm optimizer wrapper. In a user's
 * project the import is `from 'tfjs-tsbd'`.
 *
 *   npm run -s example -- fit_with_tsbd [--json] [--data full]
 */
import * as tf from '@tensorflow/tfjs-core';

import { callbacks, chooseReinitFraction, data, disposeOptimizer, hooks, losses, models, train } from '../src';
import { poisonedTask, scores, type ExampleArgs, type ExampleResult } from './setup';

/** Fine-tuning learning rate (SGD with momentum 0.9), the reference's. */
const LR = 0.01;

// Stage 2 runs 20 epochs and stage 3's recovery 10, purify's (FinetuneOptions.epochs, ExtrapolateOptions.epochs) when it
// fine-tunes on the stamped images.
const SETTINGS = {
  // Short enough for CI on the committed subset: 7,200 poisoned training images, 800 clean.
  subset: { cleanCount: 800, trainEpochs: 3, finetuneEpochs: 20 },
  // The README's: 57,000 training images, 3,000 clean (5% of the training split).
  full: { cleanCount: 3000, trainEpochs: 3, finetuneEpochs: 20 },
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
  const batchSize = Math.max(16, Math.min(256, Math.ceil(task.clean.count / 10)));

  // Before stage 1: invert each class's trigger on the clean set. mnist-node's output is fed by a hidden Dense 512,
  // where zeroing leaves the backdoor; the class with the smallest mask is the trigger candidate, and stage 2 fine-tunes
  // on the clean images plus 20% of them stamped with it under their own labels (purify's invert 'auto' does the same).
  const inversion = hooks.invertTrigger(model, task.clean);
  const found = inversion.smallest;
  log(found === undefined ? 'no class mask succeeded' : `smallest mask: class ${found.target}, ${found.maskL1.toFixed(1)} px`);

  // Stage 1a: unlearn a copy (gradient ascent on the clean set) until it is at chance or predicts one class.
  const clean = data.toTensors(task.clean);
  const snapshot = hooks.weightSnapshot(model);
  const copy = models.cloneModel(model);
  const ascent = tf.train.momentum(0.01, 0.9);
  copy.compile({ optimizer: ascent, loss: losses.unlearningLoss('probabilities') });
  const stop = callbacks.unlearningStop(clean);
  await copy.fit(clean.x, clean.y, { epochs: 1000, batchSize, verbose: 0, callbacks: [stop] });
  log(`unlearning stopped after ${stop.history.length} epochs (${stop.stopReason ?? 'maxEpochs'})`);
  tf.dispose([clean.x, clean.y]);

  // Stage 1b: rank neurons by how far unlearning moved their weights; n by purify's rule for this stage 2 (no head
  // shift; with the stamped images, 0: on such nets they remove the backdoor and zeroing on top costs accuracy).
  const scores1 = hooks.nwcScores(snapshot, copy);
  snapshot.dispose();
  copy.dispose();
  disposeOptimizer(ascent); // tfjs' momentum optimizer keeps its learning-rate scalar after dispose()
  const choice = await chooseReinitFraction(model, scores1, task.clean, { invert: found !== undefined, headShift: 0 });
  log(`n = ${choice.fraction} after ${choice.probes.length} probes`);

  // Stage 1c + 2: the reinit callback zeroes the chosen weights when fit begins; the wrapped optimizer takes the
  // activeness-aware step, at a rate that decays along a half cosine (purify's finetune.schedule 'cosine'); BatchNorm
  // statistics (none here) are re-estimated when fit ends. Stage 3: the weights move as far again from the suspect's
  // (a clone kept from before stage 2), and 10 more epochs recover, so that the purification lasts (purify's extrapolate);
  // its guard puts the stage-2 weights back if the recovery ends more than 0.02 below on the fine-tuning set (purify's).
  const { x, y } = data.toTensors(inversion.tuneSet);
  const suspect = models.cloneModel(model);
  const away = callbacks.extrapolateAway({ from: suspect, factor: 1, guard: { x, y } });
  const stages = [
    { epochs: s.finetuneEpochs, start: callbacks.nwcReinit({ mask: callbacks.reinitMask(scores1, choice.fraction) }) },
    { epochs: 10, start: away },
  ];
  for (const stage of stages) {
    const inner = tf.train.momentum(LR, 0.9);
    const optimizer = train.gradNorm(inner, { rho: 0.05, alpha: 0.7 });
    model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    await model.fit(x, y, {
      epochs: stage.epochs,
      batchSize,
      verbose: 0,
      // The stage's own callback last: the guard then reads accuracy after the BatchNorm statistics are re-estimated.
      callbacks: [
        callbacks.cosineDecay({ optimizer: inner, lr: LR, epochs: stage.epochs }),
        callbacks.batchNormRecalibration({ set: task.clean }),
        stage.start,
      ],
    });
    optimizer.dispose();
    disposeOptimizer(inner);
  }
  const seconds = (performance.now() - start) / 1000;
  const o = away.outcome;
  if (o !== undefined) log(`stage 3: accuracy on the fine-tuning set ${o.cleanAccBefore.toFixed(3)} -> ${o.cleanAccAfter.toFixed(3)}, ${o.kept ? 'kept' : 'stage-2 weights put back'}`);
  suspect.dispose();
  tf.dispose([x, y]);

  const after = await scores(model, task);
  log(`purified: ACC ${after.acc}, ASR ${after.asr} (${seconds.toFixed(0)} s)`);
  model.dispose();
  return { before, after, seconds: Math.round(seconds), inverted: found?.target ?? null, fraction: choice.fraction, probes: choice.probes.length, stage3Kept: o?.kept ?? null };
}
