export type { KernelKind, LayerSelection, ScorableKernelsOptions } from './scorable_layers';
export { WeightSnapshot, weightSnapshot, type SnapshotKernel } from './weight_snapshot';
export { NwcScores, nwcScores, type NwcLayer, type NwcLayerInput, type NwcOptions, type RankedNeuron } from './nwc';
export {
  ActivenessMonitor,
  activenessMonitor,
  type ActivenessMonitorArgs,
  type ActivenessLayerStats,
  type ActivenessRecord,
} from './activeness_monitor';
export { invertTrigger, type InvertTriggerArgs, type TriggerInversion } from './invert_trigger';
export type { InvertedTrigger } from '../defenses/trigger_inversion';
