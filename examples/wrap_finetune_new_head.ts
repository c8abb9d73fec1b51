/**
 * The team of wrap_finetune, but for a new task with fewer classes: it replaces the classification head of the model
 * it got (10 Fashion-MNIST classes) with its own (5 of them: T-shirt, pullover, sandal, sneaker, ankle boot) and
 * fine-tunes the whole net on its clean images of those classes. The attacker's target, pullover, is one of them.
 *
 * TSBD's stage 1 unlearns and scores the model AS RECEIVED, so it runs on the old head, with the team's images
 * under their labels in the old task (which a team whose classes are a subset of the old ones can write down); the
 * new head then trains inside the wrapped fit. The same job without TSBD (but with BatchNorm statistics re-estimated,
 * as any fine-tuning of a BatchNorm net in tfjs should) is run beside it, so the JSON has `plain` next to `after`
 * (with TSBD), both on the new task's test images; `before` is the received model on the old task.
 *
 *   npm run -s example -- wrap_finetune_new_head [--json] [--data full]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import { attacks, callbacks, data, disposeOptimizer, metrics, tsbdFinetune, type ImageSet, type TsbdFinetune } from '../src';
import { loadModel } from '../src/node';
import { poisonedTask, round4, scores, type ExampleArgs, type ExampleResult, type Scores } from './setup';
import { modelFromElsewhere, SETTINGS } from './wrap_finetune';

/** The team's classes, in the old task's numbering; index k here is class k of the new head. */
const TEAM_CLASSES = [0, 2, 5, 7, 9];

/** The images of `set` whose class is one of the team's, labelled in the new task (numClasses 5). */
function newTask(set: ImageSet): ImageSet {
  const keep: number[] = [];
  for (let i = 0; i < set.count; i++) if (TEAM_CLASSES.includes(set.labels[i] as number)) keep.push(i);
  const picked = data.subset(set, keep);
  const labels = Uint8Array.from(picked.labels, (l) => TEAM_CLASSES.indexOf(l));
  return { ...picked, labels, numClasses: TEAM_CLASSES.length };
}

/** The received model's layers up to its last hidden one, with a new softmax head of the team's classes. */
function withNewHead(received: tfl.LayersModel): tfl.LayersModel {
  const features = received.layers[received.layers.length - 2]?.output as tfl.SymbolicTensor;
  const head = tfl.layers.dense({ units: TEAM_CLASSES.length, activation: 'softmax', name: 'team_head', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) });
  return tfl.model({ inputs: received.inputs, outputs: head.apply(features) as tfl.SymbolicTensor });
}

/**
 * The team's job on a fresh load of the received model: new head, fit on its images (a tenth kept to validate), with
 * early stopping and a log line. With `tsbd`, stage 1 runs on the received model first, and the fit gets TSBD's
 * optimizer and callbacks.
 */
async function teamJob(dir: string, team: { oldLabels: ImageSet; newLabels: ImageSet }, epochs: number, tsbd: boolean, log: (l: string) => void): Promise<{ model: tfl.LayersModel; epochs: number; fraction: number; dispose: () => void }> {
  const received = await loadModel(dir);
  let job: TsbdFinetune | undefined;
  let fraction = 0;
  if (tsbd) {
    job = tsbdFinetune(received, team.oldLabels);
    fraction = (await job.stageOne()).fraction;
    log(`stage 1 on the received model: n = ${fraction}`);
  }
  const model = withNewHead(received);
  const n = team.newLabels.count;
  const validate = Math.round(n / 10);
  const train = data.toTensors(data.subset(team.newLabels, Array.from({ length: n - validate }, (_, i) => i)));
  const validation = data.toTensors(data.subset(team.newLabels, Array.from({ length: validate }, (_, i) => n - validate + i)));
  const teamOptimizer = tf.train.momentum(0.01, 0.9);
  // Both jobs re-estimate BatchNorm statistics each epoch: without it, 6 steps an epoch leave them stale, the
  // validation loss early stopping reads is noise, and the plain job stopped after 6 epochs at ACC 0.26.
  const recalibrate = tsbd ? [] : [callbacks.batchNormRecalibration({ set: team.newLabels })];
  model.compile({ optimizer: job === undefined ? teamOptimizer : job.optimizer(teamOptimizer), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const history = await model.fit(train.x, train.y, {
    epochs,
    batchSize: 64,
    validationData: [validation.x, validation.y],
    verbose: 0,
    callbacks: [
      ...(job?.callbacks() ?? recalibrate),
      tfl.callbacks.earlyStopping({ monitor: 'val_loss', patience: 5 }),
      new tfl.CustomCallback({ onEpochEnd: async (e, logs) => log(`${tsbd ? 'tsbd' : 'plain'} epoch ${e + 1}: val_acc ${logs?.val_acc?.toFixed(4)}`) }),
    ],
  });
  job?.dispose();
  disposeOptimizer(teamOptimizer);
  tf.dispose([train.x, train.y, validation.x, validation.y]);
  // The new model holds the received one's layers but the old head: disposing both frees all (disposing the received
  // model as well would dispose its layers twice).
  const dispose = (): void => {
    model.dispose();
    received.layers[received.layers.length - 1]?.dispose();
  };
  return { model, epochs: history.epoch.length, fraction, dispose };
}

export async function run({ data: source, log }: ExampleArgs): Promise<ExampleResult> {
  const s = SETTINGS[source];
  const task = poisonedTask(source, s.cleanCount);
  const dir = mkdtempSync(join(tmpdir(), 'tsbd-new-head-'));
  try {
    await modelFromElsewhere(task, s.trainEpochs, dir);
    const received = await loadModel(dir);
    const before = await scores(received, task);
    received.dispose();
    log(`model from elsewhere, old task: ACC ${before.acc}, ASR ${before.asr}`);

    const keep: number[] = [];
    for (let i = 0; i < task.clean.count; i++) if (TEAM_CLASSES.includes(task.clean.labels[i] as number)) keep.push(i);
    const team = { oldLabels: data.subset(task.clean, keep), newLabels: newTask(task.clean) };
    const test = newTask(task.test);
    // The trigger sends an image to pullover: class 1 of the new head.
    const trigger = attacks.badNets({ ...task.attack.config(), target: TEAM_CLASSES.indexOf(task.attack.target) });
    const score = async (m: tfl.LayersModel): Promise<Scores> => {
      const r = await metrics.evaluate(m, test, trigger);
      return { acc: round4(r.acc), asr: round4(r.asr) };
    };

    const plainJob = await teamJob(dir, team, s.finetuneEpochs, false, log);
    const plain = await score(plainJob.model);
    plainJob.dispose();
    log(`new head, no TSBD: ACC ${plain.acc}, ASR ${plain.asr} (${plainJob.epochs} epochs)`);

    const start = performance.now();
    const tsbdJob = await teamJob(dir, team, s.finetuneEpochs, true, log);
    const seconds = (performance.now() - start) / 1000;
    const after = await score(tsbdJob.model);
    tsbdJob.dispose();
    log(`new head, TSBD: ACC ${after.acc}, ASR ${after.asr} (${tsbdJob.epochs} epochs, ${seconds.toFixed(0)} s)`);
    return { before, after, plain, seconds: Math.round(seconds), fraction: tsbdJob.fraction, epochs: tsbdJob.epochs, classes: TEAM_CLASSES };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
