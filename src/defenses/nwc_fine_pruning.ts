import type * as tfl from '@tensorflow/tfjs-layers';
import type { CleanSet, Defense, DefenseContext, DefenseOptions, DefenseResult, OptionSpec } from './defense';
import { runDefense } from './defense_run';
import { PRUNE_OPTIONS, pruneThenFinetune } from './fine_pruning';
import { lastConvLayer } from './layer_chain';
import { rankNeurons } from './neuron_scores';
import { resolvePurifyOptions } from './tsbd_options';
import { unlearn } from './unlearn';
import { ModelError } from '../errors';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'unlearn-lr', type: 'number', default: 0.01, min: 0, minExclusive: true, doc: "SGD learning rate of the clean unlearning (purify's default)" },
  ...PRUNE_OPTIONS,
];

/**
 * NWC-FP: Fine-Pruning with the channels ordered by neuron weight change under clean unlearning (largest first)
 * instead of by dormancy, the comparison of the TSBD paper's Fig. 8 (Lin et al., NeurIPS 2024): does NWC find the
 * backdoor channels of the last conv layer better than activation does?
 *
 * Choices: clean unlearning exactly as purify's stage 1 (its defaults: momentum-SGD gradient ascent until clean
 * accuracy reaches chance or the net collapses), then everything as FP (see `fp`).
 */
export const nwcFp: Defense = {
  name: 'nwc-fp',
  summary: "FP ordered by NWC (TSBD paper Fig. 8): prune the last conv layer's highest-NWC channels, then fine-tune",
  options: OPTIONS,
  run: (model: tfl.LayersModel, clean: CleanSet, options?: DefenseOptions, context?: DefenseContext): Promise<DefenseResult> =>
    runDefense('nwc-fp', OPTIONS, model, clean, options, context, async (run) => {
      const layer = lastConvLayer(model);
      const o = resolvePurifyOptions({ fraction: 0, layers: 'conv', seed: run.seed, range: run.range, unlearn: { lr: run.options.number('unlearn-lr') } }, run.numClasses, clean.count);
      const { scores, epochs, stopReason } = await run.phase('unlearn', () => unlearn(model, clean, run.output, o, run.events));
      const nwc = scores.layers.find((l) => l.layerName === layer);
      if (nwc === undefined) throw new ModelError(`NWC did not score the last conv layer '${layer}'`, { layer });
      const ranking = rankNeurons([nwc]);
      const result = await pruneThenFinetune(model, run, ranking);
      return { model: result.model, chose: { ...result.chose, unlearn: { epochs, stopReason } } };
    }),
};
