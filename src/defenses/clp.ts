import type * as tfl from '@tensorflow/tfjs-layers';
import { cloneModel } from '../models/clone_model';
import type { CleanSet, Defense, DefenseContext, DefenseOptions, DefenseResult, OptionSpec } from './defense';
import { runDefense } from './defense_run';
import { lipschitzRanking } from './lipschitz_scores';
import { outlierNeurons } from './neuron_scores';
import { pruneNeurons } from './prune_neurons';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'u', type: 'number', default: 3, min: 0, doc: "a channel is pruned when its Lipschitz bound exceeds its layer's mean + u standard deviations (paper: 3)" },
];

/**
 * CLP, Channel Lipschitzness-based Pruning (Zheng, Zhang, Zhang, Gu and Wang, ECCV 2022): data-free. A backdoor
 * channel reacts strongly to a small trigger, so its upper channel Lipschitz constant (UCLC) is an outlier within
 * its layer; prune channels whose UCLC exceeds the layer's mean + u standard deviations (u = 3, the paper's default).
 *
 * Choices: every top-level Conv2D is scored (1x1 included, as the paper scores every conv); the BatchNorm that
 * follows a conv is folded into its weights, and a conv with none is scored on its kernel alone; a pruned channel
 * outputs 0 (kernel, bias, following BatchNorm's gamma and beta set to 0, as the paper zeroes the BatchNorm's
 * weight and bias). No fine-tuning and no data: the clean set is only read for the report's accuracies.
 */
export const clp: Defense = {
  name: 'clp',
  summary: 'CLP (Zheng et al. 2022): data-free pruning of channels with outlying Lipschitz bounds (u = 3)',
  options: OPTIONS,
  run: (model: tfl.LayersModel, clean: CleanSet, options?: DefenseOptions, context?: DefenseContext): Promise<DefenseResult> =>
    runDefense('clp', OPTIONS, model, clean, options, context, async (run) => {
      const ranking = await run.phase('score', () => lipschitzRanking(model));
      const chosen = outlierNeurons(ranking, run.options.number('u'));
      const out = cloneModel(model);
      try {
        await run.phase('prune', () => pruneNeurons(out, chosen));
        const perLayer: { [layer: string]: number[] } = {};
        for (const n of chosen) (perLayer[n.layer] ??= []).push(n.neuron);
        return { model: out, chose: { channels: ranking.ranking.length, pruned: chosen.length, prunedChannels: perLayer } };
      } catch (e) {
        out.dispose();
        throw e;
      }
    }),
};
