import * as tf from '@tensorflow/tfjs-core';
import { checkConfig, checkNumber } from '../internal/assert';

/** Options of {@link GradNormOptimizer}. */
export interface GradNormArgs {
  /** Perturbation radius r, in parameter-space L2 units. Must be > 0. @default 0.05 */
  rho?: number;
  /** Weight of the perturbed gradient, in [0, 1]: 0 is a plain step, 1 is SAM. @default 0.7 */
  alpha?: number;
  /**
   * 'global': theta' = theta + r * g / ||g|| with one norm over all trainable tensors (the paper's math).
   * 'per-tensor': each tensor is moved by r along its own normalised gradient, as the reference code does; the
   * total step is then r * sqrt(#tensors). @default 'global'
   */
  normalize?: 'global' | 'per-tensor';
  /** Norms below this count as zero: such a gradient is not perturbed (no 0/0). @default 1e-12 */
  epsilon?: number;
}

type Config = tf.serialization.ConfigDict;
/** A named tensor, as optimizers exchange gradients and weights. */
interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/**
 * Activeness-aware fine-tuning (TSBD stage 2, Lin et al. NeurIPS 2024) as an optimizer wrapper for `model.compile`.
 *
 * Each step evaluates the loss gradient twice: g1 at the weights theta, and g2 at theta + r*g1/||g1||; the inner
 * optimizer then applies (1 - alpha)*g1 + alpha*g2. This is the first-order form of minimising L + lambda*||grad L||,
 * the gradient-norm penalty of Zhao, Zhang & Hu (ICML 2022, arXiv 2202.03599): it keeps the neurons' gradient norm
 * (their "activeness") low, so fine-tuning does not re-grow the backdoor. tfjs regularizers see one weight tensor at
 * a time, so a penalty on the whole gradient has to live in the optimizer.
 *
 * What it takes care of inside `LayersModel.fit` (which calls `minimize(lossFn, true, trainableVars)`):
 * - no copy of the model: one saved copy of the trainable values per step, restored by assignment;
 * - BatchNorm moving statistics move once per step: every variable assigned during the perturbed pass (BN updates
 *   happen inside the training forward pass) is put back to its value after the first pass;
 * - the metric scalars that `fit`'s loss function keeps on each call are disposed for the second call, which `fit`
 *   would otherwise leak one set of per batch.
 *
 * The inner optimizer stays the caller's: `dispose()` frees only the wrapper. Porting note: the reference code
 * deep-copies the model on every batch and normalises per tensor; both normalisations are offered here.
 *
 * @example
 * model.compile({optimizer: gradNorm(tf.train.momentum(0.01, 0.9), {rho: 0.05, alpha: 0.7}), loss, metrics: ['acc']});
 */
export class GradNormOptimizer extends tf.Optimizer {
  static get className(): string {
    return 'GradNormOptimizer';
  }

  readonly rho: number;
  readonly alpha: number;
  readonly normalize: 'global' | 'per-tensor';
  readonly epsilon: number;

  constructor(
    readonly inner: tf.Optimizer,
    args: GradNormArgs = {},
  ) {
    super();
    checkConfig(
      inner instanceof tf.Optimizer,
      () => `GradNormOptimizer needs a tf.Optimizer to wrap; received ${describe(inner)}`,
    );
    this.rho = args.rho ?? 0.05;
    this.alpha = args.alpha ?? 0.7;
    this.normalize = args.normalize ?? 'global';
    this.epsilon = args.epsilon ?? 1e-12;
    checkNumber('rho (r)', this.rho, 0, Infinity, { minExclusive: true });
    checkNumber('alpha', this.alpha, 0, 1);
    checkNumber('epsilon', this.epsilon, 0, Infinity, { minExclusive: true });
    checkConfig(
      this.normalize === 'global' || this.normalize === 'per-tensor',
      () => `normalize must be 'global' or 'per-tensor'; received ${String(this.normalize)}`,
    );
  }

  override minimize(f: () => tf.Scalar, returnCost = false, varList?: tf.Variable[]): tf.Scalar | null {
    const vars = varList ?? trainableVariables();
    const first = tf.variableGrads(f, vars);
    let combined: tf.NamedTensorMap;
    if (this.alpha === 0) {
      combined = first.grads;
    } else {
      const second = this.perturbedGrads(f, vars, first.grads);
      const a = this.alpha;
      combined = tf.tidy(() => {
        const out: tf.NamedTensorMap = {};
        for (const v of vars) {
          const g1 = first.grads[v.name] as tf.Tensor;
          const g2 = second[v.name] as tf.Tensor;
          out[v.name] = tf.add(tf.mul(g1, 1 - a), tf.mul(g2, a));
        }
        return out;
      });
      tf.dispose(second);
      tf.dispose(first.grads);
    }
    this.applyGradients(varList === undefined ? combined : varList.map((v) => ({ name: v.name, tensor: combined[v.name] as tf.Tensor })));
    tf.dispose(combined);
    if (returnCost) return first.value;
    first.value.dispose();
    return null;
  }

  /** g2: the gradient at theta + r * g1 / ||g1||, leaving every variable and the engine as they were. */
  private perturbedGrads(f: () => tf.Scalar, vars: tf.Variable[], g1: tf.NamedTensorMap): tf.NamedTensorMap {
    const saved = vars.map((v) => tf.clone(v));
    try {
      tf.tidy(() => {
        const scales = this.scales(vars.map((v) => g1[v.name] as tf.Tensor));
        vars.forEach((v, i) => v.assign(tf.add(v, tf.mul(g1[v.name] as tf.Tensor, scales[i] as tf.Scalar))));
      });
      const { value, grads } = withSideEffectsUndone(() => tf.variableGrads(f, vars));
      value.dispose();
      return grads;
    } finally {
      vars.forEach((v, i) => v.assign(saved[i] as tf.Tensor));
      tf.dispose(saved);
    }
  }

  /** Per-gradient multipliers r / ||g|| (global or per tensor), with norms below epsilon treated as zero. */
  private scales(grads: tf.Tensor[]): tf.Scalar[] {
    const safeScale = (norm: tf.Tensor): tf.Scalar =>
      tf.where(tf.greater(norm, this.epsilon), tf.div(this.rho, tf.maximum(norm, this.epsilon)), tf.scalar(0)) as tf.Scalar;
    if (this.normalize === 'per-tensor') return grads.map((g) => safeScale(tf.norm(g)));
    const global = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
    const s = safeScale(global);
    return grads.map(() => s);
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    this.inner.applyGradients(variableGradients);
  }

  override async getWeights(): Promise<NamedTensor[]> {
    return this.inner.getWeights();
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    await this.inner.setWeights(weightValues);
  }

  override get iterations(): number {
    return this.inner.iterations;
  }

  /** Frees the wrapper's own state (it has none beyond the base class's); the inner optimizer stays the caller's. */
  override dispose(): void {
    super.dispose();
  }

  override getConfig(): Config {
    return {
      rho: this.rho,
      alpha: this.alpha,
      normalize: this.normalize,
      epsilon: this.epsilon,
      inner: { className: this.inner.getClassName(), config: this.inner.getConfig() },
    };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: Config,
  ): T {
    const innerSpec = config['inner'] as { className?: unknown; config?: unknown } | undefined;
    const innerName = innerSpec?.className;
    checkConfig(typeof innerName === 'string', () => 'GradNormOptimizer config has no inner optimizer class name');
    const entry = tf.serialization.SerializationMap.getMap().classNameMap[innerName];
    checkConfig(entry !== undefined, () => `GradNormOptimizer config names an unknown inner optimizer '${innerName}'`);
    const [innerCls, innerFromConfig] = entry;
    const inner = innerFromConfig(innerCls, (innerSpec?.config ?? {}) as Config) as unknown as tf.Optimizer;
    const args: GradNormArgs = {};
    if (typeof config['rho'] === 'number') args.rho = config['rho'];
    if (typeof config['alpha'] === 'number') args.alpha = config['alpha'];
    if (config['normalize'] === 'global' || config['normalize'] === 'per-tensor') args.normalize = config['normalize'];
    if (typeof config['epsilon'] === 'number') args.epsilon = config['epsilon'];
    return new (cls as unknown as new (inner: tf.Optimizer, args: GradNormArgs) => T)(inner, args);
  }
}
tf.serialization.registerClass(GradNormOptimizer);

/** Wraps `inner` in a {@link GradNormOptimizer}. */
export function gradNorm(inner: tf.Optimizer, args?: GradNormArgs): GradNormOptimizer {
  return new GradNormOptimizer(inner, args);
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  return typeof x === 'object' ? `an object of class ${(x as object).constructor?.name ?? '?'}` : typeof x;
}

function trainableVariables(): tf.Variable[] {
  return Object.values(tf.engine().registeredVariables).filter((v) => v.trainable);
}

/**
 * Runs `run` (a second evaluation of fit's loss function) and undoes its side effects on state:
 * - variables it assigns (BatchNorm moving statistics) get back the values they had before;
 * - tensors it marks with tf.keep (fit's per-call metric scalars) are disposed, except those in the result.
 * `run` is synchronous, so the temporary hooks cannot see anyone else's work.
 */
function withSideEffectsUndone(run: () => { value: tf.Scalar; grads: tf.NamedTensorMap }): {
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
} {
  const engine = tf.engine();
  const originalKeep = engine.keep;
  const proto = tf.Variable.prototype;
  const originalAssign = proto.assign;
  const kept: tf.Tensor[] = [];
  const before = new Map<tf.Variable, tf.Tensor>();
  engine.keep = function keep<T extends tf.Tensor>(this: typeof engine, t: T): T {
    kept.push(t);
    return originalKeep.call(this, t) as T;
  };
  proto.assign = function assign(this: tf.Variable, newValue: tf.Tensor): void {
    if (!before.has(this)) before.set(this, originalKeep.call(engine, tf.clone(this)));
    originalAssign.call(this, newValue);
  };
  let result: { value: tf.Scalar; grads: tf.NamedTensorMap };
  try {
    result = run();
  } finally {
    engine.keep = originalKeep;
    proto.assign = originalAssign;
    for (const [v, old] of before) {
      v.assign(old);
      old.dispose();
    }
  }
  const mine = new Set<number>([result.value.id, ...Object.values(result.grads).map((g) => g.id)]);
  for (const t of kept) if (!mine.has(t.id) && !t.isDisposed) t.dispose();
  return result;
}
