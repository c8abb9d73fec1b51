import { EventEmitter } from 'eventemitter3';

/**
 * The phases of a purification: TSBD's, in the order they run ('invert' .. 'release'; 'invert' runs only with the
 * trigger inversion on, 'warmup' and 'release' train the output layer alone, only when the head shift is on), then those of the other
 * defenses (src/defenses/registry.ts): 'score' (rank neurons), 'prune', 'teacher' (NAD's fine-tuned teacher),
 * 'distill' (NAD's student training).
 */
export type Phase = 'invert' | 'unlearn' | 'select' | 'reinit' | 'warmup' | 'finetune' | 'extrapolate' | 'release' | 'score' | 'prune' | 'teacher' | 'distill';

/**
 * Events emitted by {@link purify}. Payloads are plain numbers and strings, never tensors, so a listener can keep
 * them. `emit` is synchronous: keep listeners cheap (a progress bar, a log line).
 */
export interface TsbdEvents {
  /** A phase begins. */
  phaseStart: [phase: Phase];
  /** A phase ended after `seconds` of wall time. */
  phaseEnd: [phase: Phase, seconds: number];
  /**
   * An epoch of `phase` ended (1-based `epoch` of at most `maxEpochs`). `loss` is the epoch's mean training loss
   * (negated cross-entropy while unlearning); `cleanAcc` is accuracy on clean data, in [0,1].
   */
  epochEnd: [phase: Phase, epoch: number, maxEpochs: number, loss: number, cleanAcc: number];
  /**
   * Automatic choice of n: the candidate fraction, its held-out clean accuracy after the probe's recovery (mean over
   * splits), its cost (the n = 0 control's accuracy minus it) and the verdict. The control itself comes first, as
   * fraction 0 with cost 0.
   */
  fractionProbe: [fraction: number, heldOutAcc: number, cost: number, accepted: boolean];
  /** Stage 1 zeroed `weights` kernel elements across `neurons` neurons (fraction n of the ranked neurons). */
  reinitialized: [fraction: number, neurons: number, weights: number];
  /** The trigger inversion finished class `cls`: its smallest mask, in pixels (NaN when none succeeded). */
  classInverted: [cls: number, maskL1: number];
  /** Something the user should know but that does not stop the run. */
  warning: [message: string];
}

/** A typed event emitter for {@link TsbdEvents}. */
export class TsbdEmitter extends EventEmitter<TsbdEvents> {}
