import * as tfl from '@tensorflow/tfjs-layers';
import { checkNumber } from '../internal/assert';
import { DEFAULT_HEAD_SHIFT, shiftHead, type HeadShift as HeadShiftPenalty } from '../regularizers/head_shift';

/** Arguments of {@link HeadShift}. */
export interface HeadShiftArgs {
  /**
   * Weight of cos(K, K0) in the loss, K the re-drawn head's kernel and K0 the suspect's. @default 3 (FST's 0.2 on
   * the development model whose ||K0||^2 is 15; docs/foreign-models.md)
   */
  weight?: number;
  /** Seeds the re-drawn kernel. @default 0 */
  seed?: number;
  /**
   * Shift only these rows of the output kernel (indices of the head's inputs, e.g. the hidden units that NWC ranks
   * highest: purify's headShiftRows); the other rows and the bias keep their values and train freely. @default every row
   */
  rows?: readonly number[];
}

/**
 * Re-draws the model's output Dense layer when the first `fit` that gets this instance begins, and while each such
 * `fit` runs adds weight * cos(K, K0) to its loss and holds the kernel at the old norm after every batch, so that
 * the fine-tuning must move the features instead of re-learning the old head (FST, Min et al., NeurIPS 2023). The
 * penalty is taken off when the `fit` ends; the model saves and trains as usual afterwards.
 *
 * Why, in TSBD: in nets whose backdoor sits in a hidden Dense layer (a flatten-into-Dense head, an MLP), zeroing
 * the NWC-ranked weights and fine-tuning left it (zoo D3: ASR 0.761, D4: 0.384); with the head shifted too, D3 0.002
 * and D4 0.021-0.043 (docs/foreign-models.md). Give the `fit` about twice the epochs it would have without the shift
 * (purify runs 40 instead of 20): the re-drawn head and the features under it are learned again.
 *
 * @example
 * await model.fit(x, y, {epochs: 40, callbacks: [nwcReinit({mask}), headShift({weight: 3})]});
 */
export class HeadShift extends tfl.Callback {
  private readonly weight: number;
  private readonly seed: number;
  private readonly rows: readonly number[] | undefined;
  private shift: HeadShiftPenalty | undefined;

  constructor(args: HeadShiftArgs = {}) {
    super();
    this.weight = args.weight ?? DEFAULT_HEAD_SHIFT;
    this.seed = args.seed ?? 0;
    this.rows = args.rows === undefined ? undefined : [...args.rows];
    checkNumber('weight', this.weight, 0, Infinity);
    checkNumber('seed', this.seed, 0, 2 ** 32, { integer: true });
  }

  /** The re-drawn layer's name, once a `fit` has begun. */
  get head(): string | undefined {
    return this.shift?.head;
  }

  /** How many rows of the head are shifted, or undefined for all of them. */
  get shiftedRows(): number | undefined {
    return this.rows?.length;
  }

  /** cos(K, K0) now, once a `fit` has begun (see HeadShift in src/regularizers). */
  cosine(): number | undefined {
    return this.shift?.cosine();
  }

  override async onTrainBegin(): Promise<void> {
    this.shift ??= shiftHead(this.model, this.weight, this.seed, this.rows);
    this.shift.attach();
  }

  override async onBatchEnd(): Promise<void> {
    this.shift?.project();
  }

  override async onTrainEnd(): Promise<void> {
    this.shift?.detach();
  }

  /** Frees the copy of the old kernel (and takes the penalty off). The model keeps its re-drawn head. */
  dispose(): void {
    this.shift?.dispose();
  }
}

/** Builds a {@link HeadShift} callback (tfjs style: `callbacks.headShift({weight: 3})`). */
export function headShift(args: HeadShiftArgs = {}): HeadShift {
  return new HeadShift(args);
}
