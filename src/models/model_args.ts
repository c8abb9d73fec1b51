import { checkConfig, checkNumber } from '../internal/assert';
import { Rng } from '../internal/rng';

/** What every model builder needs. */
export interface ModelArgs {
  /** Image shape [height, width, channels] (NHWC without the batch axis). */
  inputShape: [number, number, number];
  /** Number of classes of the softmax output; an integer >= 2. */
  numClasses: number;
  /**
   * Seed of the weight initialisation. Every kernel initializer gets its own seed derived from this one, so the
   * same seed gives identical weights and another seed gives different ones.
   * @default 0
   */
  seed?: number;
  /**
   * Base width: the number of filters of the first stage, which later stages double. Only vgg-s, preact-resnet18
   * and mobilenet-s take it (each names its default); the other builders reject it. An integer >= 1.
   */
  width?: number;
}

/** ModelArgs after validation, with the default filled in. */
export interface ResolvedModelArgs {
  inputShape: [number, number, number];
  numClasses: number;
  seed: number;
}

/**
 * Validates builder arguments; `minSide` is the smallest height and width the architecture can take.
 * Throws ConfigError (expected vs received) on the first bad field.
 */
export function resolveModelArgs(arch: string, args: ModelArgs, minSide: number): ResolvedModelArgs {
  checkConfig(
    typeof args === 'object' && args !== null,
    () => `${arch}: args must be an object {inputShape, numClasses, seed?}; received ${String(args)}`,
  );
  const shape: unknown = args.inputShape;
  checkConfig(
    Array.isArray(shape) && shape.length === 3 && shape.every((d) => Number.isInteger(d) && (d as number) > 0),
    () => `${arch}: inputShape must be [height, width, channels] of positive integers; received ${JSON.stringify(shape)}`,
    { option: 'inputShape', received: shape },
  );
  const [h, w, c] = args.inputShape;
  checkConfig(
    h >= minSide && w >= minSide,
    () => `${arch}: inputShape height and width must be >= ${minSide}; received [${h}, ${w}, ${c}]`,
    { option: 'inputShape', received: shape, minSide },
  );
  checkNumber('numClasses', args.numClasses, 2, 1e6, { integer: true });
  const seed = args.seed ?? 0;
  checkNumber('seed', seed, 0, Number.MAX_SAFE_INTEGER, { integer: true });
  return { inputShape: [h, w, c], numClasses: args.numClasses, seed };
}

/** The validated `width` of `args`, or `fallback` when it is not given. Throws ConfigError for a bad width. */
export function resolveWidth(args: ModelArgs, fallback: number): number {
  const width = args.width ?? fallback;
  checkNumber('width', width, 1, 4096, { integer: true });
  return width;
}

/**
 * A stream of initializer seeds drawn from `seed`: call it once per kernel, in a fixed order, so a model built
 * twice with the same seed gets the same weights while no two kernels share a seed.
 */
export function seedStream(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.int(0x7fffffff);
}
