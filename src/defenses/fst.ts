import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ModelError } from '../errors';
import { outputHead } from '../hooks/scorable_layers';
import { disposeOptimizer } from '../internal/dispose_optimizer';
import { perExampleCrossEntropy } from '../losses/cross_entropy';
import { cloneModel } from '../models/clone_model';
import { recalibrateBatchNorm } from '../models/recalibrate_batch_norm';
import type { CleanSet, Defense, DefenseContext, DefenseOptions, DefenseResult, OptionSpec } from './defense';
import { runDefense } from './defense_run';
import { FINETUNE_OPTIONS, finetuneFromOptions } from './finetune_clean';
import { trainableVariables, trainLoop } from './train_loop';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'alpha', type: 'number', default: 0.2, min: 0, doc: "weight of the inner product between the new and the original head weights (FST's CIFAR-10 value: 0.2)" },
  ...FINETUNE_OPTIONS,
];

/**
 * FST, Feature Shift Tuning (Min, Yang, Sun and Zhang, NeurIPS 2023, arXiv 2310.01875): fine-tuning leaves the
 * backdoor when the features hardly move; FST re-initialises the linear head and fine-tunes the whole model while
 * pushing the new head away from the original one, loss = CE + alpha * <w, w_orig>, with the head's weight norm held
 * at the original's (projected after every step), so that the features must shift.
 *
 * Choices: the head is the Dense layer that produces the output; its kernel is re-drawn (Glorot uniform, seeded)
 * and its bias set to 0; alpha = 0.2; the shared fine-tuning options (20 epochs, lr 0.01, momentum 0.9; see
 * FINETUNE_OPTIONS) rather than FST's own schedule, so that every fine-tuning defense here trains for the same steps;
 * BatchNorm statistics re-estimated after training.
 */
export const fst: Defense = {
  name: 'fst',
  summary: 'FST (Min et al. 2023): re-initialise the head, fine-tune away from the original head (feature shift)',
  options: OPTIONS,
  run: (model: tfl.LayersModel, clean: CleanSet, options?: DefenseOptions, context?: DefenseContext): Promise<DefenseResult> =>
    runDefense('fst', OPTIONS, model, clean, options, context, async (run) => {
      const f = finetuneFromOptions(run.options, clean.count);
      const alpha = run.options.number('alpha');
      const out = cloneModel(model);
      const optimizer = tf.train.momentum(f.lr, f.momentum);
      const head = outputHead(out);
      if (head === undefined) throw new ModelError(`FST needs a Dense output layer; model '${model.name}' has none`, { model: model.name });
      const kernel = head.weights.find((w) => /(^|\/)kernel$/.test(w.originalName)) as tfl.LayerVariable;
      const bias = head.weights.find((w) => /(^|\/)bias$/.test(w.originalName));
      const original = tf.clone(kernel.read());
      const norm = tf.tidy(() => tf.norm(original));
      try {
        tf.tidy(() => {
          kernel.write(tfl.initializers.glorotUniform({ seed: run.seed + 5 }).apply(original.shape) as tf.Tensor);
          if (bias !== undefined) bias.write(tf.zerosLike(bias.read()));
        });
        const vars = trainableVariables(out);
        const epochAccs = await run.phase('finetune', () =>
          trainLoop(out, run, { phase: 'finetune', epochs: f.epochs, batchSize: f.batchSize, seedOffset: 1 }, (x, y) => {
            const cost = optimizer.minimize(
              () =>
                tf.add(
                  tf.mean(perExampleCrossEntropy(run.output, y, out.apply(x, { training: true }) as tf.Tensor)),
                  tf.mul(alpha, tf.sum(tf.mul(kernel.read(), original))),
                ) as tf.Scalar,
              true,
              vars,
            );
            tf.tidy(() => {
              const w = kernel.read();
              kernel.write(tf.mul(w, tf.div(norm, tf.maximum(tf.norm(w), 1e-12))));
            });
            const value = cost?.dataSync()[0] ?? Number.NaN;
            cost?.dispose();
            return value;
          }),
        );
        const recalibrated = f.recalibrateBatchNorm && recalibrateBatchNorm(out, clean, { range: run.range }) > 0;
        const innerProduct = tf.tidy(() => tf.sum(tf.mul(kernel.read(), original)).dataSync()[0] as number);
        return { model: out, chose: { head: head.name, epochAccs, recalibratedBatchNorm: recalibrated, headInnerProduct: innerProduct } };
      } catch (e) {
        out.dispose();
        throw e;
      } finally {
        tf.dispose([original, norm]);
        disposeOptimizer(optimizer);
      }
    }),
};
