import type * as tfl from '@tensorflow/tfjs-layers';

import { ConfigError } from '../errors';
import type { ModelArgs } from './model_args';
import { preactResnetS } from './preact_resnet_s';
import { smallCnn } from './small_cnn';
import { tfjsExamplesCnn } from './tfjs_examples_cnn';

export type { ModelArgs } from './model_args';

/** The model families this package can build. */
export type Arch = 'preact-resnet-s' | 'small-cnn' | 'tfjs-examples-cnn';

const BUILDERS: Readonly<Record<Arch, (args: ModelArgs) => tfl.LayersModel>> = {
  'preact-resnet-s': preactResnetS,
  'small-cnn': smallCnn,
  'tfjs-examples-cnn': tfjsExamplesCnn,
};

/** Names of the buildable architectures, in a fixed order. Returns a new array. */
export function listArchs(): Arch[] {
  return Object.keys(BUILDERS) as Arch[];
}

/**
 * Builds a fresh, uncompiled model of the named family with seeded weights.
 * Throws ConfigError for an unknown `arch` (listing the known ones) or bad `args`.
 * @returns a new model; the caller owns it and calls `dispose()` when done.
 */
export function buildModel(arch: Arch, args: ModelArgs): tfl.LayersModel {
  const builder = Object.prototype.hasOwnProperty.call(BUILDERS, arch) ? BUILDERS[arch] : undefined;
  if (builder === undefined) {
    throw new ConfigError(`arch must be one of ${listArchs().join(', ')}; received ${JSON.stringify(arch)}`, {
      option: 'arch',
      received: arch,
      expected: listArchs(),
    });
  }
  return builder(args);
}
