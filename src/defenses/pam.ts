import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { perExampleCrossEntropy } from '../losses/cross_entropy';
import type { CleanSet, Defense, DefenseContext, DefenseOptions, DefenseResult, OptionSpec } from './defense';
import { runDefense } from './defense_run';
import { FINETUNE_OPTIONS, finetuneCopyWithStep, finetuneFromOptions } from './finetune_clean';
import { trainableVariables } from './train_loop';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'rho', type: 'number', default: 0.5, min: 0, doc: 'how far past the current weights, along the path from the suspect model, each gradient is taken' },
  ...FINETUNE_OPTIONS,
];

/**
 * PAM, Path-Aware Minimisation (Min et al., NeurIPS 2024, arXiv 2410.09838, "Uncovering, Explaining, and Mitigating
 * the Superficial Safety of Backdoor Defense"): purified models stay close to the backdoored one along the path that
 * connects them, which is why a few poisoned images bring the backdoor back. PAM fine-tunes on the clean set with
 * each gradient taken further along that path, at theta + rho * (theta - theta_suspect), and applied at theta, so
 * that fine-tuning favours solutions that lie further from the suspect model.
 *
 * Choices: the unnormalised offset with rho = 0.5 (the form this package measured in bench/zoo_extrapolate.ts,
 * "PAM-style"; the paper's exact scaling was not re-derived here); momentum SGD with TSBD's stage-2 schedule (20
 * epochs, lr 0.01, momentum 0.9); BatchNorm moving statistics put back after the offset pass, so they move once per
 * step, and re-estimated after training. The first step has no offset (theta = theta_suspect).
 */
export const pam: Defense = {
  name: 'pam',
  summary: 'PAM (Min et al. 2024): fine-tuning with gradients taken further along the path from the suspect model',
  options: OPTIONS,
  run: (model: tfl.LayersModel, clean: CleanSet, options?: DefenseOptions, context?: DefenseContext): Promise<DefenseResult> =>
    runDefense('pam', OPTIONS, model, clean, options, context, async (run) => {
      const f = finetuneFromOptions(run.options, clean.count);
      const rho = run.options.number('rho');
      return finetuneCopyWithStep(model, run, f, (copy, optimizer) => {
        const vars = trainableVariables(copy);
        const suspect = vars.map((v) => tf.clone(v));
        const step = (x: tf.Tensor, y: tf.Tensor): number => {
          const saved = vars.map((v) => tf.clone(v));
          const stats = copy.nonTrainableWeights.map((w) => ({ w, value: tf.clone(w.read()) }));
          try {
            tf.tidy(() => vars.forEach((v, i) => v.assign(tf.add(v, tf.mul(rho, tf.sub(v, suspect[i] as tf.Tensor))))));
            const { value, grads } = tf.variableGrads(
              () => tf.mean(perExampleCrossEntropy(run.output, y, copy.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
              vars,
            );
            vars.forEach((v, i) => v.assign(saved[i] as tf.Tensor));
            for (const s of stats) s.w.write(s.value);
            optimizer.applyGradients(grads);
            tf.dispose(grads);
            const loss = value.dataSync()[0] as number;
            value.dispose();
            return loss;
          } finally {
            tf.dispose(saved);
            tf.dispose(stats.map((s) => s.value));
          }
        };
        return { step, dispose: () => tf.dispose(suspect) };
      });
    }),
};
