import type * as tfl from '@tensorflow/tfjs-layers';

import { ConfigError } from '../errors';
import { mobilenetS } from './mobilenet_s';
import type { ModelArgs } from './model_args';
import { preactResnet18 } from './preact_resnet18';
import { preactResnetS } from './preact_resnet_s';
import { smallCnn } from './small_cnn';
import { tfjsExamplesCnn } from './tfjs_examples_cnn';
import { vggS } from './vgg_s';

export type { ModelArgs } from './model_args';

/** The model families this package can build. */
export type Arch = 'preact-resnet-s' | 'small-cnn' | 'tfjs-examples-cnn' | 'vgg-s' | 'preact-resnet18' | 'mobilenet-s';

const BUILDERS: Readonly<Record<Arch, (args: ModelArgs) => tfl.LayersModel>> = {
  'preact-resnet-s': preactResnetS,
  'small-cnn': smallCnn,
  'tfjs-examples-cnn': tfjsExamplesCnn,
  'vgg-s': vggS,
  'preact-resnet18': preactResnet18,
  'mobilenet-s': mobilenetS,
};

/** The architectures whose width (`ModelArgs.width`) can be set. */
const WIDTH_ARCHS: readonly Arch[] = ['vgg-s', 'preact-resnet18', 'mobilenet-s'];

/** Names of the buildable architectures, in a fixed order. Returns a new array. */
export function listArchs(): Arch[] {
  return Object.keys(BUILDERS) as Arch[];
}

/** Whether `arch` takes a `width` (the base number of filters). */
export function hasWidth(arch: Arch): boolean {
  return WIDTH_ARCHS.includes(arch);
}

/**
 * Builds a fresh, uncompiled model of the named family with seeded weights.
 * Throws ConfigError for an unknown `arch` (listing the known ones), bad `args`, or a `width` for an architecture
 * of fixed width.
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
  if (args.width !== undefined && !hasWidth(arch)) {
    throw new ConfigError(`${arch} has a fixed width; a width applies to ${WIDTH_ARCHS.join(', ')}`, { option: 'width', arch });
  }
  return builder(args);
}
