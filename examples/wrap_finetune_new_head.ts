/**
 * The team of wrap_finetune, but for a new task with fewer classes: it replaces the classification head of the model
 * it got (10 Fashion-MNIST classes) with its own (5 of them: T-shirt, pullover, sandal, sneaker, ankle boot) and
 * fine-tunes the whole net on its clean images of those classes. The attacker's target, pullover, is one of them.
 *
 * TSBD's stage 1 unlearns and scores the model AS RECEIVED, so it runs on the old head, with the team's images
 * under their labels in the old task (which a team whose classes are a subset of the old ones can write down); the
 * new head then trains inside the wrapped fit (wrap_finetune_regrouped: a team that cannot). The same job without TSBD (but with BatchNorm statistics re-estimated,
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

/**
 * A team's own task: which of its classes each old (Fashion-MNIST) class belongs to, -1 for none. Class k of the new
 * head is class k here.
 */
export interface TeamTask {
  /** The new task's class names, in the new head's order (for the log and the JSON). */
  readonly classes: readonly string[];
  /** The new class of an image whose old class is `old`, or -1 when the team has no such images. */
  of(old: number): number;
}

/** This example's task: 5 of the 10 classes, kept as they were (T-shirt, pullover, sandal, sneaker, ankle boot). */
const FIVE_CLASSES = [0, 2, 5, 7, 9];
const TEAM_TASK: TeamTask = { classes: ['T-shirt', 'pullover', 'sandal', 'sneaker', 'ankle boot'], of: (old) => FIVE_CLASSES.indexOf(old) };

/** The images of `set` that belong to the team's task, labelled in it. */
function newTask(set: ImageSet, task: TeamTask): ImageSet {
  const keep: number[] = [];
  for (let i = 0; i < set.count; i++) if (task.of(set.labels[i] as number) >= 0) keep.push(i);
  const picked = data.subset(set, keep);
  const labels = Uint8Array.from(picked.labels, (l) => task.of(l));
  return { ...picked, labels, numClasses: task.classes.length };
}

/** The received model's layers up to its last hidden one, with a new softmax head of the team's classes. */
function withNewHead(received: tfl.LayersModel, classes: number): tfl.LayersModel {
  const features = received.layers[received.layers.length - 2]?.output as tfl.SymbolicTensor;
  const head = tfl.layers.dense({ units: classes, activation: 'softmax', name: 'team_head', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) });
  return tfl.model({ inputs: received.inputs, outputs: head.apply(features) as tfl.SymbolicTensor });
}

/**
 * The team's job on a fresh load of the received model: new head, fit on its images (a tenth kept to validate), with
 * early stopping and a log line. With `tsbd`, stage 1 runs on the received model first, and the fit gets TSBD's
 * optimizer and callbacks.
 */
async function teamJob(dir: string, team: { stageOne: 'old labels' | 'predicted'; images: ImageSet; newLabels: ImageSet }, epochs: number, tsbd: boolean, log: (l: string) => void): Promise<{ model: tfl.LayersModel; epochs: number; fraction: number; dispose: () => void }> {
  const received = await loadModel(dir);
  let job: TsbdFinetune | undefined;
  let fraction = 0;
  if (tsbd) {
    // Stage 1 reads the received model in its own classes. A team that cannot name them gives it the model's own
    // predictions on its clean images: unlearning then pushes the model off what it believes about them.
    const stageOneSet = team.stageOne === 'old labels' ? team.images : { ...team.images, labels: Uint8Array.from(await metrics.predictLabels(received, team.images)) };
    job = tsbdFinetune(received, stageOneSet);
    fraction = (await job.stageOne()).fraction;
    log(`stage 1 on the received model (${team.stageOne}): n = ${fraction}`);
  }
  const model = withNewHead(received, team.newLabels.numClasses);
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

export async function run(args: ExampleArgs): Promise<ExampleResult> {
  return runTeamTask(args, TEAM_TASK, 'old labels', 'tsbd-new-head-');
}

/**
 * The received model (trained with a backdoor, saved), then the team's job on `task` without and with TSBD, scored on
 * the new task's test images. `stageOne`: what stage 1 reads as labels of the team's images, their old classes or the
 * received model's predictions.
 */
export async function runTeamTask({ data: source, log }: ExampleArgs, teamTask: TeamTask, stageOne: 'old labels' | 'predicted', tmpPrefix: string): Promise<ExampleResult> {
  const s = SETTINGS[source];
  const task = poisonedTask(source, s.cleanCount);
  const dir = mkdtempSync(join(tmpdir(), tmpPrefix));
  try {
    await modelFromElsewhere(task, s.trainEpochs, dir);
    const received = await loadModel(dir);
    const before = await scores(received, task);
    received.dispose();
    log(`model from elsewhere, old task: ACC ${before.acc}, ASR ${before.asr}`);

    const keep: number[] = [];
    for (let i = 0; i < task.clean.count; i++) if (teamTask.of(task.clean.labels[i] as number) >= 0) keep.push(i);
    const team = { stageOne, images: data.subset(task.clean, keep), newLabels: newTask(task.clean, teamTask) };
    const test = newTask(task.test, teamTask);
    // The trigger sends an image to the new class that holds the attacker's target (pullover).
    const trigger = attacks.badNets({ ...task.attack.config(), target: teamTask.of(task.attack.target) });
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
    return { before, after, plain, seconds: Math.round(seconds), fraction: tsbdJob.fraction, epochs: tsbdJob.epochs, classes: teamTask.classes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
