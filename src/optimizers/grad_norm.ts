import * as tf from '@tensorflow/tfjs-core';
import { checkConfig, checkNumber } from '../internal/assert';

/** Options of {@link GradNormOptimizer}. */
export interface GradNormArgs {
  /** Perturbation radius r, in parameter-space L2 units (same units as the weights). Must be > 0. @default 0.05 */
  rho?: number;
  /** Weight of the perturbed gradient, dimensionless, in [0, 1]: 0 is a plain step, 1 is SAM. @default 0.7 */
  alpha?: number;
  /**
   * 'per-tensor': each tensor is moved by r along its own normalised gradient, as the reference code does; the
   * total step is then r * sqrt(#tensors). 'global': theta' = theta + r * g / ||g|| with one L2 norm over all
   * trainable tensors (the paper's math). @default 'per-tensor', the reference's form, which `purify` also uses
   * (`finetune.normalize`) and with which its measurements were made
   */
  normalize?: 'global' | 'per-tensor';
  /** Gradient L2 norms at or below this count as zero: such a gradient is not perturbed (no 0/0). @default 1e-12 */
  epsilon?: number;
}

type Config = tf.serialization.ConfigDict;
type Grads = { value: tf.Scalar; grads: tf.NamedTensorMap };

/**
 * Activeness-aware fine-tuning (TSBD stage 2, Lin et al., NeurIPS 2024, arXiv 2405.20291) as an optimizer wrapper
 * for `model.compile`.
 *
 * Each step evaluates the loss gradient twice: g1 at the weights theta, and g2 at theta' = theta + r*g1/||g1||; the
 * inner optimizer then applies g = (1 - alpha)*g1 + alpha*g2. This is the first-order form of minimising
 * L + lambda*||grad L||, the gradient-norm penalty of Zhao, Zhang & Hu, "Penalizing Gradient Norm for Efficiently
 * Improving Generalization in Deep Learning" (ICML 2022, arXiv 2202.03599): it keeps the gradient norm (the neurons'
 * "activeness") low, so fine-tuning does not re-grow the backdoor. alpha = 1 is SAM. tfjs regularizers see one
 * weight tensor at a time, so a penalty on the whole gradient has to live in the optimizer, hence this wrapper.
 *
 * The work is done in `computeGradients`, so both `minimize` (what `LayersModel.fit` calls, as
 * `minimize(lossFn, true, trainableVars)`) and a hand-written `computeGradients` + `applyGradients` loop get it.
 * What it takes care of:
 * - no copy of the model: the trainable values are saved once per step (a clone, which shares the buffer) and
 *   restored by assignment, so no rounding from subtracting the perturbation is left behind;
 * - BatchNorm moving statistics move once per step, by the first pass only: every variable assigned during the
 *   perturbed pass (tfjs-layers updates BN statistics eagerly inside a training forward pass) gets its previous
 *   value back. This needs no model reference, so the wrapper works with any `f` and any model;
 * - `fit`'s loss function `tf.keep`s one metric scalar per metric on every call and `fit` frees only one set per
 *   batch. Tensors kept during the perturbed pass are un-kept and handed to the caller's tidy scope (fit's per-batch
 *   tidy), so the second call leaks nothing. `fit`'s logs hold the first pass's loss and metrics only.
 * - `model.trainOnBatch` returns one more entry per metric: `[loss, acc, acc']`, where acc' is the accuracy at the
 *   perturbed weights theta'. The first entries are what a plain optimizer returns, so `const [loss, acc] = ...`
 *   reads right. This cannot be fixed from the optimizer: tfjs-layers' train function (`makeTrainFunction` in
 *   engine/training.ts) pushes each metric into an array local to its closure on every call of the loss function
 *   and returns that whole array, and an optimizer sees only the loss function, not the model. `trainOnBatch`
 *   reads and disposes every entry, so nothing leaks.
 * - a zero gradient (norm <= epsilon) is not perturbed; a variable without a gradient is left alone.
 * The returned cost is the loss at theta (the first pass), as with a plain optimizer.
 *
 * Ownership: the inner optimizer stays the caller's; `dispose()` frees it only when this wrapper created it
 * (`fromConfig`, e.g. when `loadLayersModel` restores a saved optimizer). Weights (`getWeights`/`setWeights`) and
 * `iterations` are the inner optimizer's.
 *
 * Porting note: the reference code normalises each tensor by its own norm (0/0 for a zero gradient), deep-copies the
 * model on every batch and lets the extra forward pass move BatchNorm statistics. Here both normalisations are
 * offered ('per-tensor', the reference's, by default; 'global', the paper's, on request), zero norms are guarded,
 * nothing is copied, and BN statistics move once.
 *
 * @example
 * const inner = tf.train.momentum(0.01, 0.9);
 * import { train } from 'tfjs-tsbd';
 * model.compile({optimizer: train.gradNorm(inner, {rho: 0.05, alpha: 0.7}), loss: 'categoricalCrossentropy', metrics: ['acc']});
 * await model.fit(x, y, {epochs: 20, batchSize: 256}); // about 2x the time of a plain fit
 * inner.dispose();
 */
export class GradNormOptimizer extends tf.Optimizer {
  static get className(): string {
    return 'GradNormOptimizer';
  }

  readonly rho: number;
  readonly alpha: number;
  readonly normalize: 'global' | 'per-tensor';
  readonly epsilon: number;
  private ownsInner = false;
  private disposed = false;
  /**
   * Metric scalars kept by the previous perturbed pass. `fit` and `trainOnBatch` free them, but `fitDataset` has no
   * per-batch tidy and would leak them, so whatever is still alive is freed at the next step and on dispose().
   */
  private leftovers: tf.Tensor[] = [];

  constructor(
    readonly inner: tf.Optimizer,
    args: GradNormArgs = {},
  ) {
    super();
    checkConfig(
      inner !== null && typeof inner === 'object' && inner instanceof tf.Optimizer,
      () => `GradNormOptimizer needs a tf.Optimizer to wrap; received ${describe(inner)}`,
      { option: 'inner', received: describe(inner) },
    );
    checkConfig(
      typeof args === 'object' && args !== null,
      () => `GradNormOptimizer args must be an object; received ${describe(args)}`,
    );
    this.rho = args.rho ?? 0.05;
    this.alpha = args.alpha ?? 0.7;
    this.normalize = args.normalize ?? 'per-tensor';
    this.epsilon = args.epsilon ?? 1e-12;
    checkNumber('rho (r)', this.rho, 0, Infinity, { minExclusive: true });
    checkNumber('alpha', this.alpha, 0, 1);
    checkNumber('epsilon', this.epsilon, 0, Infinity, { minExclusive: true });
    checkConfig(
      this.normalize === 'global' || this.normalize === 'per-tensor',
      () => `normalize must be 'global' or 'per-tensor'; received ${String(this.normalize)}`,
      { option: 'normalize', received: this.normalize },
    );
  }

  /**
   * Returns the loss at theta (first pass) and the combined gradient (1 - alpha)*g1 + alpha*g2 per variable.
   * New tensors: the caller disposes `value` and `grads` (as `minimize` does). Every variable is as before the call.
   */
  override computeGradients(f: () => tf.Scalar, varList?: tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
    this.freeLeftovers();
    const first = tf.variableGrads(f, varList);
    if (this.alpha === 0) return first;
    // Only variables with a first-pass gradient are perturbed; the rest keep their value.
    const vars = Object.keys(first.grads)
      .filter((name) => first.grads[name] != null)
      .map((name) => tf.engine().registeredVariables[name] as tf.Variable);
    let second: tf.NamedTensorMap;
    try {
      second = this.perturbedGrads(f, varList, vars, first.grads);
    } catch (e) {
      tf.dispose([first.value, first.grads]);
      throw e;
    }
    const grads = tf.tidy(() => {
      // Two scalars per step, not two per variable (tf.mul(x, number) makes a scalar tensor on every call).
      const a = tf.scalar(this.alpha);
      const b = tf.scalar(1 - this.alpha);
      const out: tf.NamedTensorMap = {};
      for (const v of vars) {
        const g1 = first.grads[v.name] as tf.Tensor;
        const g2 = second[v.name];
        // A variable cut off from the loss at theta' has g2 = 0 there.
        out[v.name] = g2 == null ? tf.mul(g1, b) : tf.add(tf.mul(g1, b), tf.mul(g2, a));
      }
      return out;
    });
    tf.dispose([second, first.grads]);
    return { value: first.value, grads };
  }

  /** g2: the gradient at theta' = theta + r * g1 / ||g1||; every variable and the engine are left as they were. */
  private perturbedGrads(
    f: () => tf.Scalar,
    varList: tf.Variable[] | undefined,
    vars: tf.Variable[],
    g1: tf.NamedTensorMap,
  ): tf.NamedTensorMap {
    // tf.clone shares the buffer (refcount), so this "copy" costs no memory until the variable is reassigned.
    const saved = vars.map((v) => tf.keep(tf.clone(v)));
    try {
      tf.tidy(() => {
        const gs = vars.map((v) => g1[v.name] as tf.Tensor);
        const scales = this.scales(gs);
        vars.forEach((v, i) => v.assign(tf.add(v, tf.mul(gs[i] as tf.Tensor, scales[i] as tf.Scalar))));
      });
      const { value, grads } = withSideEffectsUndone(() => tf.variableGrads(f, varList), this.leftovers);
      value.dispose();
      return grads;
    } finally {
      vars.forEach((v, i) => v.assign(saved[i] as tf.Tensor));
      tf.dispose(saved);
    }
  }

  /**
   * Per-gradient multipliers r / ||g|| (one global norm, or one per tensor); norms <= epsilon give 0.
   * Two ops per tensor (square, sum); the norms and the zero guard are then a handful of ops on one vector.
   */
  private scales(grads: tf.Tensor[]): tf.Scalar[] {
    const sq = grads.map((g) => tf.sum(tf.square(g)));
    const safeScale = (norm: tf.Tensor): tf.Tensor => {
      const eps = tf.scalar(this.epsilon);
      return tf.where(tf.greater(norm, eps), tf.div(tf.scalar(this.rho), tf.maximum(norm, eps)), tf.zerosLike(norm));
    };
    if (this.normalize === 'per-tensor') return tf.unstack(safeScale(tf.sqrt(tf.stack(sq)))) as tf.Scalar[];
    const s = safeScale(tf.sqrt(tf.addN(sq))) as tf.Scalar;
    return grads.map(() => s);
  }

  /** Delegates to the inner optimizer (which counts the iterations). */
  override applyGradients(variableGradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    this.inner.applyGradients(variableGradients);
  }

  /** The inner optimizer's weights (its slots and iteration count); the wrapper has none of its own. */
  override async getWeights(): Promise<{ name: string; tensor: tf.Tensor }[]> {
    return this.inner.getWeights();
  }

  /** Sets the inner optimizer's weights, as `loadLayersModel` does after restoring this wrapper. */
  override async setWeights(weightValues: { name: string; tensor: tf.Tensor }[]): Promise<void> {
    await this.inner.setWeights(weightValues);
  }

  override get iterations(): number {
    return this.inner.iterations;
  }

  /**
   * Frees what the wrapper owns; idempotent. The inner optimizer is disposed only when `fromConfig` created it;
   * an inner optimizer passed to the constructor stays the caller's.
   */
  override dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.freeLeftovers();
    if (this.ownsInner) this.inner.dispose();
  }

  private freeLeftovers(): void {
    for (const t of this.leftovers) if (!t.isDisposed) t.dispose();
    this.leftovers = [];
  }

  /** `{rho, alpha, normalize, epsilon, inner: {className, config}}`, as `model.save({includeOptimizer: true})` stores. */
  override getConfig(): Config {
    return {
      rho: this.rho,
      alpha: this.alpha,
      normalize: this.normalize,
      epsilon: this.epsilon,
      inner: { className: this.inner.getClassName(), config: this.inner.getConfig() },
    };
  }

  /** Rebuilds the wrapper and its inner optimizer (looked up among registered classes); the wrapper owns that inner. */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: Config,
  ): T {
    const innerSpec = config['inner'];
    const spec = typeof innerSpec === 'object' && innerSpec !== null && !Array.isArray(innerSpec) ? (innerSpec as Config) : {};
    const innerName = spec['className'];
    checkConfig(
      typeof innerName === 'string',
      () => `GradNormOptimizer config needs inner.className (a string); received ${describe(innerName)}`,
    );
    const entry = tf.serialization.SerializationMap.getMap().classNameMap[innerName];
    checkConfig(entry !== undefined, () => `GradNormOptimizer config names an unregistered inner optimizer '${innerName}'`);
    const [innerCls, innerFromConfig] = entry;
    const innerConfig = spec['config'];
    const inner = innerFromConfig(innerCls, (typeof innerConfig === 'object' && innerConfig !== null ? innerConfig : {}) as Config);
    const args: GradNormArgs = {};
    if (typeof config['rho'] === 'number') args.rho = config['rho'];
    if (typeof config['alpha'] === 'number') args.alpha = config['alpha'];
    if (config['normalize'] === 'global' || config['normalize'] === 'per-tensor') args.normalize = config['normalize'];
    if (typeof config['epsilon'] === 'number') args.epsilon = config['epsilon'];
    const made = new (cls as unknown as new (inner: tf.Optimizer, args: GradNormArgs) => GradNormOptimizer)(
      inner as unknown as tf.Optimizer,
      args,
    );
    made.ownsInner = true;
    return made as unknown as T;
  }
}
tf.serialization.registerClass(GradNormOptimizer, 'tfjs-tsbd');

/**
 * Wraps `inner` in a {@link GradNormOptimizer} (TSBD's activeness-aware fine-tuning step), as `tf.train.momentum`
 * makes a `MomentumOptimizer`: pass the result to `model.compile({optimizer})`. The caller keeps ownership of
 * `inner` and of the wrapper (`model.dispose()` frees neither, as with any optimizer object given to `compile`).
 */
export function gradNorm(inner: tf.Optimizer, args?: GradNormArgs): GradNormOptimizer {
  return new GradNormOptimizer(inner, args);
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (typeof x !== 'object') return `${typeof x} ${String(x)}`;
  const ctor = (x as { constructor?: { name?: unknown } }).constructor;
  return `an object of class ${typeof ctor?.name === 'string' ? ctor.name : '?'}`;
}

/**
 * Runs `run` (a second evaluation of the loss function) and undoes its side effects on state:
 * - variables it assigns (BatchNorm moving statistics) get back the values they had before;
 * - tensors it marks with tf.keep (fit's per-call metric scalars) are no longer kept: they belong to the caller's
 *   tidy scope like any tensor it creates, so `fit`'s per-batch tidy frees them.
 *   The demoted tensors are pushed to `demoted`, for callers without such a scope (fitDataset) to free later.
 * `run` is synchronous, so the temporary hooks see nothing but its own work; `finally` removes them even on throw.
 */
function withSideEffectsUndone(run: () => Grads, demoted: tf.Tensor[]): Grads {
  const engine = tf.engine();
  const proto = tf.Variable.prototype;
  const ownKeep = Object.prototype.hasOwnProperty.call(engine, 'keep');
  const originalKeep = engine.keep;
  const originalAssign = proto.assign;
  const kept: tf.Tensor[] = [];
  const before = new Map<tf.Variable, tf.Tensor>();
  engine.keep = function keep<T extends tf.Tensor>(this: typeof engine, t: T): T {
    kept.push(t);
    return originalKeep.call(this, t) as T;
  };
  proto.assign = function assign(this: tf.Variable, newValue: tf.Tensor): void {
    // First assignment of this variable in the pass: remember its value (a clone shares the buffer, no copy).
    if (!before.has(this)) before.set(this, originalKeep.call(engine, tf.clone(this)));
    originalAssign.call(this, newValue);
  };
  let result: Grads | undefined;
  try {
    result = run();
    return result;
  } finally {
    if (ownKeep) engine.keep = originalKeep;
    else delete (engine as { keep?: unknown }).keep;
    proto.assign = originalAssign;
    for (const [v, old] of before) {
      v.assign(old);
      old.dispose();
    }
    const mine = new Set<number>();
    if (result !== undefined) for (const t of [result.value, ...Object.values(result.grads)]) if (t != null) mine.add(t.id);
    // Demote what the pass kept to ordinary tensors of the caller's scope (tfjs-core's Engine.track, internal; if it
    // is ever gone, dispose instead). In fit that scope is the per-batch tidy, which then frees them; trainOnBatch
    // (no tidy) reads and disposes every metric returned, these included.
    const track = (engine as unknown as { track?: unknown }).track;
    for (const t of kept) {
      if (mine.has(t.id) || t.isDisposed) continue;
      if (typeof track === 'function') {
        t.kept = false;
        track.call(engine, t);
        demoted.push(t);
      } else {
        t.dispose();
      }
    }
  }
}
