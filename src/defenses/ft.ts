import type * as tfl from '@tensorflow/tfjs-layers';
import { cloneModel } from '../models/clone_model';
import type { CleanSet, Defense, DefenseContext, DefenseOptions, DefenseResult } from './defense';
import { runDefense } from './defense_run';
import { FINETUNE_OPTIONS, finetuneFromOptions, finetuneOnClean } from './finetune_clean';

/**
 * FT: plain fine-tuning of the whole model on the defender's clean set, the baseline every backdoor-defense paper
 * compares against (e.g. BackdoorBench, Wu et al., NeurIPS 2022 Datasets and Benchmarks).
 *
 * Choices: cross-entropy, momentum SGD with TSBD's stage-2 schedule (20 epochs, lr 0.01, momentum 0.9, batch 256 or
 * less so that an epoch has 10 steps), no augmentation, BatchNorm statistics re-estimated after training (see
 * FINETUNE_OPTIONS). Same number of steps as TSBD's stage 2, so the comparison isolates what TSBD adds.
 */
export const ft: Defense = {
  name: 'ft',
  summary: 'fine-tuning on the clean set (momentum SGD, TSBD stage 2 schedule)',
  options: FINETUNE_OPTIONS,
  run: (model: tfl.LayersModel, clean: CleanSet, options?: DefenseOptions, context?: DefenseContext): Promise<DefenseResult> =>
    runDefense('ft', FINETUNE_OPTIONS, model, clean, options, context, async (run) => {
      const out = cloneModel(model);
      try {
        const f = finetuneFromOptions(run.options, clean.count);
        const { epochAccs, recalibratedAcc } = await run.phase('finetune', () => finetuneOnClean(out, run, f));
        return { model: out, chose: { batchSize: f.batchSize, epochAccs, recalibratedAcc } };
      } catch (e) {
        out.dispose();
        throw e;
      }
    }),
};
