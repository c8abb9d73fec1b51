import type * as tfl from '@tensorflow/tfjs-layers';
import { cloneModel } from '../models/clone_model';
import type { CleanSet, Defense, DefenseContext, DefenseOptions, DefenseResult, OptionSpec, ReportValue } from './defense';
import { runDefense, type DefenseRun } from './defense_run';
import { meanActivations, dormancyRanking } from './dormancy_scores';
import { FINETUNE_OPTIONS, finetuneFromOptions, finetuneOnClean } from './finetune_clean';
import { lastConvLayer } from './layer_chain';
import { topNeurons, type NeuronRanking } from './neuron_scores';
import { pruneNeurons } from './prune_neurons';

/** The pruning options Fine-Pruning and NWC-FP share, then the fine-tuning ones. */
export const PRUNE_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'max-drop',
    type: 'number',
    default: 0.04,
    min: 0,
    max: 1,
    doc: 'pruning stops before clean accuracy falls more than this below the suspect model\'s (a fraction; our default)',
  },
  { name: 'max-fraction', type: 'number', default: 0.9, min: 0, max: 1, doc: "at most this share of the layer's channels is pruned" },
  ...FINETUNE_OPTIONS,
];

/**
 * Prunes the channels of one layer in ranking order (most suspect first), one at a time, on a copy of `model`,
 * reading clean accuracy after each, and keeps the longest prefix whose accuracy stays within `max-drop` of the
 * suspect model's (at most `max-fraction` of the channels). Returns a new pruned model and what it chose.
 */
export async function pruneWhileAccurate(
  model: tfl.LayersModel,
  run: DefenseRun,
  ranking: NeuronRanking,
  before: number,
): Promise<{ model: tfl.LayersModel; chose: { [key: string]: ReportValue } }> {
  const maxDrop = run.options.number('max-drop');
  const cap = Math.floor(run.options.number('max-fraction') * ranking.ranking.length + 1e-9);
  const order = topNeurons(ranking, cap);
  const accs: number[] = [];
  const scratch = cloneModel(model);
  let kept = 0;
  try {
    for (const neuron of order) {
      pruneNeurons(scratch, [neuron]);
      const acc = await run.cleanAcc(scratch);
      accs.push(acc);
      if (acc < before - maxDrop - 1e-12) break;
      kept++;
    }
  } finally {
    scratch.dispose();
  }
  const out = cloneModel(model);
  try {
    const pruned = order.slice(0, kept);
    pruneNeurons(out, pruned);
    return {
      model: out,
      chose: {
        layer: ranking.layers[0]?.layerName ?? '',
        channels: ranking.ranking.length,
        pruned: kept,
        prunedChannels: pruned.map((n) => n.neuron),
        accAfterEachPrune: accs,
      },
    };
  } catch (e) {
    out.dispose();
    throw e;
  }
}

/** Pruning by `ranking`, then fine-tuning: the shared body of FP and NWC-FP. */
export async function pruneThenFinetune(model: tfl.LayersModel, run: DefenseRun, ranking: NeuronRanking): Promise<{ model: tfl.LayersModel; chose: { [key: string]: ReportValue } }> {
  const before = await run.cleanAcc(model);
  const { model: out, chose } = await run.phase('prune', () => pruneWhileAccurate(model, run, ranking, before));
  try {
    const f = finetuneFromOptions(run.options, run.clean.count);
    const { epochAccs, recalibratedAcc } = await run.phase('finetune', () => finetuneOnClean(out, run, f));
    return { model: out, chose: { ...chose, epochAccs, recalibratedAcc } };
  } catch (e) {
    out.dispose();
    throw e;
  }
}

/**
 * FP, Fine-Pruning (Liu, Dolan-Gavitt and Garg, RAID 2018): backdoor behaviour hides in channels that clean inputs
 * leave dormant, so prune the last convolutional layer's channels in increasing order of their mean activation on
 * the clean set, then fine-tune.
 *
 * Choices: the last top-level Conv2D larger than 1x1 is pruned, its activation read after the BatchNorm and
 * activation that follow it (in a pre-activation ResNet the last conv feeds a residual addition, so its own output,
 * before the addition, is read; the mean can then be negative and "dormant" means lowest mean); a pruned channel outputs 0 (kernel, bias and the following BatchNorm's gamma and beta
 * set to 0); pruning goes on one channel at a time while clean accuracy stays within `max-drop` (0.04) of the
 * suspect model's, as the paper prunes until clean accuracy falls; fine-tuning then uses TSBD's stage-2 schedule
 * (see FINETUNE_OPTIONS).
 */
export const fp: Defense = {
  name: 'fp',
  summary: "Fine-Pruning (Liu et al. 2018): prune the last conv layer's dormant channels, then fine-tune",
  options: PRUNE_OPTIONS,
  run: (model: tfl.LayersModel, clean: CleanSet, options?: DefenseOptions, context?: DefenseContext): Promise<DefenseResult> =>
    runDefense('fp', PRUNE_OPTIONS, model, clean, options, context, async (run) => {
      const layer = lastConvLayer(model);
      const ranking = await run.phase('score', async () => dormancyRanking(layer, await meanActivations(model, layer, clean, run.range)));
      return pruneThenFinetune(model, run, ranking);
    }),
};
