/**
 * A team fine-tunes a model it got from elsewhere on its own clean data, with its own `fit` call, its own validation
 * split and its own callbacks (early stopping, a log line per epoch). TSBD wraps that job: `tsbdFinetune` runs stage 1
 * before it, then gives the optimizer to compile with and the callbacks to add. In a user's project the imports are
 * `from 'tfjs-tsbd'` and `from 'tfjs-tsbd/node'`.
 *
 *   npm run -s example -- wrap_finetune [--json] [--data full]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import { data, disposeOptimizer, tsbdFinetune } from '../src';
import { loadModel, saveModel } from '../src/node';
import { poisonedTask, scores, type ExampleArgs, type ExampleResult, type PoisonedTask } from './setup';

export const SETTINGS = {
  // CI: 7,200 poisoned training images; the team holds 800 clean ones (720 to train on, 80 to validate).
  subset: { cleanCount: 800, trainEpochs: 8, finetuneEpochs: 20 },
  // The README's: 57,000 poisoned training images; the team holds 3,000 clean ones.
  full: { cleanCount: 3000, trainEpochs: 3, finetuneEpochs: 20 },
};

/** "Elsewhere": a conv-BN-ReLU net with a global-average-pooling head, trained with Adam on poisoned data, saved. */
export async function modelFromElsewhere(task: PoisonedTask, epochs: number, dir: string): Promise<void> {
  const m = tfl.sequential();
  const block = (filters: number, first: boolean): void => {
    m.add(tfl.layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, ...(first ? { inputShape: [28, 28, 1] } : {}) }));
    m.add(tfl.layers.batchNormalization());
    m.add(tfl.layers.activation({ activation: 'relu' }));
  };
  block(16, true);
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  block(32, false);
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  block(64, false);
  m.add(tfl.layers.globalAveragePooling2d({}));
  m.add(tfl.layers.dense({ units: 10, activation: 'softmax' }));
  const adam = tf.train.adam(0.001);
  m.compile({ optimizer: adam, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const { x, y } = data.toTensors(task.poisoned);
  await m.fit(x, y, { epochs, batchSize: 32, verbose: 0 });
  tf.dispose([x, y]);
  adam.dispose();
  await saveModel(m, dir);
  m.dispose();
}

export async function run({ data: source, log }: ExampleArgs): Promise<ExampleResult> {
  const s = SETTINGS[source];
  const task = poisonedTask(source, s.cleanCount);
  const dir = mkdtempSync(join(tmpdir(), 'tsbd-wrap-'));
  try {
    await modelFromElsewhere(task, s.trainEpochs, dir);

    // --- The team's job, as it was: load the model, fine-tune on its own clean data. ---
    const model = await loadModel(dir);
    const before = await scores(model, task);
    log(`model from elsewhere: ACC ${before.acc}, ASR ${before.asr}`);
    const start = performance.now();
    const validateCount = Math.round(task.clean.count / 10);
    const mine = data.subset(task.clean, Array.from({ length: task.clean.count - validateCount }, (_, i) => i));
    const held = data.subset(task.clean, Array.from({ length: validateCount }, (_, i) => task.clean.count - validateCount + i));
    const train = data.toTensors(mine);
    const validation = data.toTensors(held);
    const teamOptimizer = tf.train.momentum(0.01, 0.9);
    const logEpoch = new tfl.CustomCallback({
      onEpochEnd: async (epoch, logs) => log(`epoch ${epoch + 1}: loss ${logs?.loss?.toFixed(4)}, val_acc ${logs?.val_acc?.toFixed(4)}`),
    });
    const earlyStopping = tfl.callbacks.earlyStopping({ monitor: 'val_loss', patience: 5 });

    // --- What TSBD adds: stage 1 before the job, its optimizer and callbacks inside it. ---
    const job = tsbdFinetune(model, mine);
    const stage1 = await job.stageOne();
    log(`stage 1: n = ${stage1.fraction} (${stage1.neurons} of ${stage1.totalNeurons} neurons, ${stage1.probes.length} probes)`);
    model.compile({ optimizer: job.optimizer(teamOptimizer), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const history = await model.fit(train.x, train.y, {
      epochs: s.finetuneEpochs,
      batchSize: 64,
      validationData: [validation.x, validation.y],
      verbose: 0,
      callbacks: [...job.callbacks(), earlyStopping, logEpoch],
    });
    job.dispose();
    disposeOptimizer(teamOptimizer); // tfjs' momentum optimizer keeps its learning-rate scalar after dispose()
    tf.dispose([train.x, train.y, validation.x, validation.y]);
    const seconds = (performance.now() - start) / 1000;

    const after = await scores(model, task);
    log(`after the wrapped job: ACC ${after.acc}, ASR ${after.asr} (${seconds.toFixed(0)} s, ${history.epoch.length} epochs)`);
    model.dispose();
    return { before, after, seconds: Math.round(seconds), fraction: stage1.fraction, epochs: history.epoch.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
