export { NwcReinit, nwcReinit, reinitMask, applyReinit, type NwcReinitArgs, type ReinitMask } from './nwc_reinit';
export {
  UnlearningStop,
  unlearningStop,
  type UnlearningStopArgs,
  type UnlearningStopReason,
  type UnlearningStopRecord,
} from './unlearning_stop';
export { BatchNormRecalibration, batchNormRecalibration, type BatchNormRecalibrationArgs } from './batch_norm_recalibration';
export { HeadShift, headShift, type HeadShiftArgs } from './head_shift';
export { CosineDecay, cosineDecay, type CosineDecayArgs, type LearningRateSetter } from './cosine_decay';
export { ExtrapolateAway, extrapolateAway, type ExtrapolateAwayArgs, type ExtrapolateAwayGuard, type ExtrapolateAwayOutcome } from './extrapolate_away';
