import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ModelError } from '../errors';
import { disposeOptimizer } from '../internal/dispose_optimizer';
import { perExampleCrossEntropy } from '../losses/cross_entropy';
import { cloneModel } from '../models/clone_model';
import { recalibrateBatchNorm } from '../models/recalibrate_batch_norm';
import type { CleanSet, Defense, DefenseContext, DefenseOptions, DefenseResult, OptionSpec } from './defense';
import { runDefense } from './defense_run';
import { FINETUNE_OPTIONS, finetuneFromOptions, finetuneOnClean } from './finetune_clean';
import { convLayerNames, layerChain } from './layer_chain';
import { trainableVariables, trainLoop } from './train_loop';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'teacher-epochs', type: 'integer', default: 10, min: 1, doc: 'fine-tuning epochs of the teacher (NAD: 10)' },
  { name: 'beta', type: 'number', default: 5000, min: 0, doc: 'weight of each attention-distillation term (NAD, CIFAR-10: 5000)' },
  { name: 'attention-layers', type: 'integer', default: 3, min: 1, doc: 'the last this many conv layers are distilled (NAD: the last three residual groups)' },
  { name: 'power', type: 'number', default: 2, min: 1, doc: 'attention map exponent p (NAD: 2)' },
  ...FINETUNE_OPTIONS,
];

/**
 * Attention map of a feature map [b, h, w, c]: the mean over channels of |F|^p, flattened to [b, h*w] and
 * L2-normalised per image (Zagoruyko and Komodakis 2017, as NAD uses it). A new tensor; the caller disposes it.
 */
export function attentionMap(feature: tf.Tensor, power: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [b] = feature.shape as [number];
    const a = tf.reshape(tf.mean(tf.pow(tf.abs(feature), power), -1), [b, -1]);
    return tf.div(a, tf.maximum(tf.norm(a, 2, -1, true), 1e-12)) as tf.Tensor2D;
  });
}

/** A view of `model` that outputs the post-activation maps of `layers` and then the prediction (owns no variable). */
function withFeatures(model: tfl.LayersModel, layers: readonly string[]): tfl.LayersModel {
  const outputs = layers.map((name) => {
    const chain = layerChain(model, name);
    return (chain[chain.length - 1] as tfl.layers.Layer).output as tfl.SymbolicTensor;
  });
  return tfl.model({ inputs: model.inputs, outputs: [...outputs, model.outputs[0] as tfl.SymbolicTensor] });
}

/**
 * NAD, Neural Attention Distillation (Li, Lyu, Koren, Lyu, Li and Ma, ICLR 2021): fine-tune a copy of the suspect
 * model on the clean set (the teacher), then train the suspect model (the student) on the clean set with
 * cross-entropy plus beta times the squared distance between its attention maps and the teacher's at chosen layers.
 *
 * Choices: teacher fine-tuned 10 epochs (NAD's setting) with TSBD's stage-2 optimizer; student trained with the
 * shared fine-tuning options (20 epochs, lr 0.01, momentum 0.9); attention maps (p = 2) at the post-activation
 * outputs of the last three top-level convolutions, standing in for NAD's last three residual groups; beta = 5000
 * for each (NAD's CIFAR-10 value); the distance is the mean over images and positions of the squared difference of
 * the normalised maps; BatchNorm statistics re-estimated after training.
 */
export const nad: Defense = {
  name: 'nad',
  summary: 'NAD (Li et al. 2021): attention distillation from a fine-tuned teacher',
  options: OPTIONS,
  run: (model: tfl.LayersModel, clean: CleanSet, options?: DefenseOptions, context?: DefenseContext): Promise<DefenseResult> =>
    runDefense('nad', OPTIONS, model, clean, options, context, async (run) => {
      const f = finetuneFromOptions(run.options, clean.count);
      const convs = convLayerNames(model);
      if (convs.length === 0) throw new ModelError(`NAD needs a top-level Conv2D to distil; model '${model.name}' has none`, { model: model.name });
      const layers = convs.slice(-run.options.number('attention-layers'));
      const beta = run.options.number('beta');
      const power = run.options.number('power');
      const teacher = cloneModel(model);
      const student = cloneModel(model);
      const optimizer = tf.train.momentum(f.lr, f.momentum);
      try {
        const teacherRun = await run.phase('teacher', () => finetuneOnClean(teacher, run, { ...f, epochs: run.options.number('teacher-epochs'), seedOffset: 2 }));
        const teacherView = withFeatures(teacher, layers);
        const studentView = withFeatures(student, layers);
        const vars = trainableVariables(student);
        const epochAccs = await run.phase('distill', () =>
          trainLoop(student, run, { phase: 'distill', epochs: f.epochs, batchSize: f.batchSize, seedOffset: 1 }, (x, y) => {
            const targets = tf.tidy(() => (teacherView.predict(x) as tf.Tensor[]).slice(0, layers.length).map((t) => attentionMap(t, power)));
            try {
              const cost = optimizer.minimize(
                () => {
                  const outs = studentView.apply(x, { training: true }) as tf.Tensor[];
                  const ce = tf.mean(perExampleCrossEntropy(run.output, y, outs[layers.length] as tf.Tensor));
                  const at = targets.map((t, i) => tf.mul(beta, tf.mean(tf.squaredDifference(attentionMap(outs[i] as tf.Tensor, power), t))));
                  return tf.addN([ce, ...at]) as tf.Scalar;
                },
                true,
                vars,
              );
              const value = cost?.dataSync()[0] ?? Number.NaN;
              cost?.dispose();
              return value;
            } finally {
              tf.dispose(targets);
            }
          }),
        );
        const recalibrated = f.recalibrateBatchNorm && recalibrateBatchNorm(student, clean, { range: run.range }) > 0;
        return {
          model: student,
          chose: { attentionLayers: layers, teacherEpochAccs: teacherRun.epochAccs, epochAccs, recalibratedBatchNorm: recalibrated },
        };
      } catch (e) {
        student.dispose();
        throw e;
      } finally {
        teacher.dispose();
        disposeOptimizer(optimizer);
      }
    }),
};
