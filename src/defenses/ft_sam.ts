import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { CleanSet, Defense, DefenseContext, DefenseOptions, DefenseResult, OptionSpec } from './defense';
import { runDefense } from './defense_run';
import { FINETUNE_OPTIONS, finetuneCopyWithStep, finetuneFromOptions } from './finetune_clean';
import { smoothedCrossEntropy, trainableVariables } from './train_loop';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'rho', type: 'number', default: 2, min: 0, doc: "radius of the adaptive sharpness-aware perturbation (FT-SAM reference code's default: 2)" },
  { name: 'label-smoothing', type: 'number', default: 0.1, min: 0, max: 1, doc: "label smoothing of the cross-entropy (FT-SAM reference code's default: 0.1)" },
  ...FINETUNE_OPTIONS,
];

/**
 * One adaptive-SAM step (Kwon et al., ICML 2021, the form FT-SAM uses): with g = grad L(w), move every weight by
 * e = rho * w^2 * g / ||w * g|| (one norm over all weights), take g2 = grad L(w + e), put the weights back by
 * assignment, and let the optimizer apply g2. BatchNorm moving statistics get back the values they had after the
 * first pass, so they move once per step. Returns the first pass's loss.
 */
function asamStep(
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  loss: (x: tf.Tensor, y: tf.Tensor) => tf.Scalar,
  rho: number,
  x: tf.Tensor,
  y: tf.Tensor,
): number {
  const vars = trainableVariables(model);
  const first = tf.variableGrads(() => loss(x, y), vars);
  const value = first.value.dataSync()[0] as number;
  first.value.dispose();
  const saved = vars.map((v) => tf.clone(v));
  const stats = model.nonTrainableWeights.map((w) => ({ w, value: tf.clone(w.read()) }));
  try {
    tf.tidy(() => {
      const scaled = vars.map((v) => tf.mul(tf.abs(v), first.grads[v.name] as tf.Tensor));
      const norm = tf.sqrt(tf.addN(scaled.map((s) => tf.sum(tf.square(s)))));
      const scale = tf.div(rho, tf.add(norm, 1e-12));
      for (const v of vars) v.assign(tf.add(v, tf.mul(scale, tf.mul(tf.square(v), first.grads[v.name] as tf.Tensor))));
    });
    const second = tf.variableGrads(() => loss(x, y), vars);
    second.value.dispose();
    vars.forEach((v, i) => v.assign(saved[i] as tf.Tensor));
    for (const s of stats) s.w.write(s.value);
    optimizer.applyGradients(second.grads);
    tf.dispose(second.grads);
  } finally {
    tf.dispose(first.grads);
    tf.dispose(saved);
    tf.dispose(stats.map((s) => s.value));
  }
  return value;
}

/**
 * FT-SAM (Zhu, Wei, Shen, Fan and Wu, ICCV 2023): fine-tuning with sharpness-aware minimisation. A large
 * perturbation radius pushes the weights out of the sharp region where backdoor neurons sit, so fine-tuning
 * forgets the backdoor that plain fine-tuning keeps.
 *
 * Choices: adaptive SAM (the FT-SAM reference code's default) with rho = 2 and label smoothing 0.1 (its defaults),
 * inner optimizer momentum SGD with TSBD's stage-2 schedule (20 epochs, lr 0.01, momentum 0.9; see
 * FINETUNE_OPTIONS), no augmentation, BatchNorm statistics re-estimated after training.
 */
export const ftSam: Defense = {
  name: 'ft-sam',
  summary: 'FT-SAM (Zhu et al. 2023): fine-tuning with adaptive sharpness-aware minimisation (rho 2)',
  options: OPTIONS,
  run: (model: tfl.LayersModel, clean: CleanSet, options?: DefenseOptions, context?: DefenseContext): Promise<DefenseResult> =>
    runDefense('ft-sam', OPTIONS, model, clean, options, context, async (run) => {
      const f = finetuneFromOptions(run.options, clean.count);
      const rho = run.options.number('rho');
      const smoothing = run.options.number('label-smoothing');
      return finetuneCopyWithStep(model, run, f, (copy, optimizer) => {
        const loss = (x: tf.Tensor, y: tf.Tensor): tf.Scalar =>
          smoothedCrossEntropy(run.output, y, copy.apply(x, { training: true }) as tf.Tensor, smoothing);
        return { step: (x, y) => asamStep(copy, optimizer, loss, rho, x, y) };
      });
    }),
};
