/**
 * tfjs-tsbd: remove backdoors from TensorFlow.js models with TSBD (Lin et al., NeurIPS 2024, arXiv 2405.20291).
 *
 * Two ways in:
 * - one shot: `purify(model, cleanSet, options)` returns a purified copy and a report;
 * - drop-in: `hooks` (trigger inversion, weight snapshot, NWC ranking, activeness monitor), `callbacks` (unlearning
 *   stop, NWC re-initialisation, stage 3's move away from the suspect, head shift, BatchNorm re-estimation) and
 *   `train.gradNorm` (the activeness-aware optimizer wrapper, named like tfjs's `tf.train.*` factories) for your own
 *   `model.fit` script, or `tsbdFinetune` to wrap a fine-tuning job.
 *
 * Also: every defense behind one interface (`getDefense`), the attacks, the metrics (ACC, ASR, DER, retuning), the
 * in-memory data helpers, typed events and errors. Helpers that only the package itself needs stay out of this
 * entry; what is here is the supported API.
 *
 * This entry is browser-safe: nothing it reaches imports a Node module (test/package/browser_safe.test.ts checks it).
 * Files, IDX readers and Fashion-MNIST live in `tfjs-tsbd/node` (src/node/index.ts).
 */
import * as attacks from './attacks';
import * as backend from './backend';
import { registerTrainingKernelsIfWasmLoaded } from './backend/training_kernels';
import * as callbacks from './callbacks';
import * as data from './data';
import * as hooks from './hooks';
import * as losses from './losses';
import * as metrics from './metrics';
import * as models from './models';
import * as train from './optimizers';

export { attacks, backend, callbacks, data, hooks, losses, metrics, models, train };
export { GradNormOptimizer, type GradNormArgs } from './optimizers/grad_norm';
export { purify, type PurifyReport, type PurifyResult, type ExtrapolationReport } from './defenses/tsbd';
export type {
  PurifyOptions,
  UnlearnOptions,
  FinetuneOptions,
  FinetuneSchedule,
  ExtrapolateOptions,
  AutoFractionOptions,
} from './defenses/tsbd_options';
export type { InversionOptions } from './defenses/trigger_inversion';
export type { UnscoredKernelLayer } from './hooks/scorable_layers';
export { chooseReinitFraction, type ChooseReinitFractionOptions, type FractionProbe, type FractionChoice } from './defenses/choose_fraction';
export { TsbdFinetune, tsbdFinetune, type TsbdFinetuneOptions, type StageOneReport } from './defenses/tsbd_finetune';
// Every defense behind one interface (issue 12): `getDefense('nad').run(model, cleanSet(images), options)`.
export { getDefense, listDefenses, registerDefense } from './defenses/registry';
export {
  cleanSet,
  type CleanSet,
  type Defense,
  type DefenseContext,
  type DefenseOptions,
  type DefenseReport,
  type DefenseResult,
  type OptionSpec,
  type OptionValue,
  type ReportValue,
} from './defenses/defense';
export { disposeOptimizer } from './internal/dispose_optimizer';
export { TsbdEmitter, type TsbdEvents, type Phase } from './events';
// Why at load: a wasm user who imported @tensorflow/tfjs-backend-wasm first trains conv nets without another call.
registerTrainingKernelsIfWasmLoaded();

export { TsbdError, ConfigError, DataShapeError, ModelError, IoError, type TsbdErrorCode } from './errors';
export type { ImageSet } from './data/image_set';
