import * as tfl from '@tensorflow/tfjs-layers';
import { ConfigError } from '../errors';
import { checkNumber } from '../internal/assert';
import { extrapolateWeights } from '../models/extrapolate_weights';

/** Arguments of {@link ExtrapolateAway}. */
export interface ExtrapolateAwayArgs {
  /**
   * The suspect model as it was before stage 2: a clone taken before the stage-2 `fit` (`models.cloneModel`), of the
   * trained model's architecture. Not changed; dispose it when the fit is done.
   */
  from: tfl.LayersModel;
  /** How far past the fine-tuned weights, as a multiple of their displacement from `from` (0 = no move). @default 1 */
  factor?: number;
}

/**
 * Stage 3 of `purify` (not in TSBD) as a tfjs callback, for a script that runs the stages itself: at `onTrainBegin`
 * the trained model's weights move further from the suspect's along the line through both, w <- w + factor * (w -
 * w_from), and the `fit` it is passed to is the recovery (purify runs 10 epochs of stage 2's activeness-aware
 * fine-tuning). Why: a purified model that stays near the suspect relearns the backdoor from a few poisoned images
 * (Min et al., NeurIPS 2024); see PurifyOptions.extrapolate for what it measured.
 *
 * The move is made once per instance, so a recovery resumed in several `fit` calls moves once. Non-trainable weights
 * (BatchNorm statistics) do not move: pass `batchNormRecalibration` to the same fit. Unlike purify, it does not put
 * the stage-2 weights back when the recovery falls short; compare clean accuracy before and after if you need that.
 *
 * @example
 * const suspect = models.cloneModel(model);             // before stage 2
 * await model.fit(x, y, { epochs: 20, callbacks: [...] }); // stage 2
 * await model.fit(x, y, { epochs: 10, callbacks: [callbacks.extrapolateAway({ from: suspect })] }); // stage 3
 * suspect.dispose();
 */
export class ExtrapolateAway extends tfl.Callback {
  readonly factor: number;
  private readonly from: tfl.LayersModel;
  private done = false;

  constructor(args: ExtrapolateAwayArgs) {
    super();
    if (args === null || typeof args !== 'object' || !Array.isArray((args.from as Partial<tfl.LayersModel> | undefined)?.trainableWeights)) {
      throw new ConfigError('ExtrapolateAway needs args {from: LayersModel}, the suspect model before stage 2', { option: 'from' });
    }
    this.factor = args.factor ?? 1;
    checkNumber('factor', this.factor, 0, Infinity);
    this.from = args.from;
  }

  /** Whether the weights have been moved (at the start of the first `fit` this instance was passed to). */
  get moved(): boolean {
    return this.done;
  }

  override async onTrainBegin(): Promise<void> {
    if (this.done) return;
    extrapolateWeights(this.model, this.from, this.factor);
    this.done = true;
  }
}

/** Factory in the style of `tf.callbacks.earlyStopping`. */
export function extrapolateAway(args: ExtrapolateAwayArgs): ExtrapolateAway {
  return new ExtrapolateAway(args);
}
