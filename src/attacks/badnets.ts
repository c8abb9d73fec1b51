import type { ImageSet } from '../data/image_set';
import { ConfigError, DataShapeError } from '../errors';
import { checkConfig, checkNumber } from '../internal/assert';
import { Rng } from '../internal/rng';
import type { Attack } from './attack';

/** Options of {@link BadNets}. */
export interface BadNetsArgs {
  /** Side of the square patch, in pixels. @default 3 (BackdoorBench's 3x3 white square) */
  patchSize?: number;
  /** Corner the patch sits in: bottom-right, bottom-left, top-right, top-left. @default 'br' */
  position?: 'br' | 'bl' | 'tr' | 'tl';
  /** 'white': 255 everywhere in the patch; 'checker': 255 where (row + col) is even, 0 where odd. @default 'white' */
  pattern?: 'white' | 'checker';
  /** Target class (all-to-one). @default 0 */
  target?: number;
  /** Fraction of the training set poisoned, in [0, 1]. @default 0.1 */
  rate?: number;
  /** Seeds which images are poisoned. @default 0 */
  seed?: number;
}

/** The JSON form of a BadNets attack. */
export type BadNetsConfig = { name: 'badnets' } & Required<BadNetsArgs>;

/**
 * BadNets (Gu, Dolan-Gavitt & Garg 2017, arXiv:1708.06733): a small fixed patch stamped in a corner; poisoned
 * training images are relabelled to the target class.
 */
export class BadNets implements Attack {
  readonly name = 'badnets';
  readonly patchSize: number;
  readonly position: 'br' | 'bl' | 'tr' | 'tl';
  readonly pattern: 'white' | 'checker';
  readonly target: number;
  readonly rate: number;
  readonly seed: number;

  constructor(args: BadNetsArgs = {}) {
    this.patchSize = args.patchSize ?? 3;
    this.position = args.position ?? 'br';
    this.pattern = args.pattern ?? 'white';
    this.target = args.target ?? 0;
    this.rate = args.rate ?? 0.1;
    this.seed = args.seed ?? 0;
    checkNumber('patchSize', this.patchSize, 1, Infinity, { integer: true });
    checkConfig(['br', 'bl', 'tr', 'tl'].includes(this.position), () => `position must be br, bl, tr or tl; received ${String(this.position)}`);
    checkConfig(['white', 'checker'].includes(this.pattern), () => `pattern must be white or checker; received ${String(this.pattern)}`);
    checkNumber('target', this.target, 0, Infinity, { integer: true });
    checkNumber('rate', this.rate, 0, 1);
    checkNumber('seed', this.seed, 0, 2 ** 32, { integer: true });
  }

  config(): BadNetsConfig {
    const { patchSize, position, pattern, target, rate, seed } = this;
    return { name: 'badnets', patchSize, position, pattern, target, rate, seed };
  }

  applyTrigger(set: ImageSet): ImageSet {
    this.check(set);
    const images = set.images.slice();
    for (let i = 0; i < set.count; i++) this.stamp(images, set, i);
    return { ...set, images };
  }

  poison(set: ImageSet): { set: ImageSet; indices: Int32Array } {
    this.check(set);
    const candidates: number[] = [];
    for (let i = 0; i < set.count; i++) if (set.labels[i] !== this.target) candidates.push(i);
    const k = Math.round(this.rate * set.count);
    if (k > candidates.length) {
      throw new DataShapeError(`cannot poison ${k} images: only ${candidates.length} are not of the target class ${this.target}`, { k });
    }
    const perm = new Rng(this.seed).permutation(candidates.length);
    const indices = Int32Array.from(perm.subarray(0, k), (j) => candidates[j] as number).sort();
    const images = set.images.slice();
    const labels = set.labels.slice();
    for (const i of indices) {
      this.stamp(images, set, i);
      labels[i] = this.target;
    }
    return { set: { ...set, images, labels }, indices };
  }

  private check(set: ImageSet): void {
    if (this.patchSize > set.height || this.patchSize > set.width) {
      throw new ConfigError(`patchSize ${this.patchSize} is larger than the ${set.height}x${set.width} images`, { patchSize: this.patchSize });
    }
    if (this.target >= set.numClasses) {
      throw new ConfigError(`target ${this.target} is not a class of this data (0..${set.numClasses - 1})`, { target: this.target });
    }
  }

  private stamp(images: Uint8Array, set: ImageSet, i: number): void {
    const { height: h, width: w, channels: ch } = set;
    const s = this.patchSize;
    const top = this.position[0] === 'b' ? h - s : 0;
    const left = this.position[1] === 'r' ? w - s : 0;
    const base = i * h * w * ch;
    for (let r = 0; r < s; r++) {
      for (let c = 0; c < s; c++) {
        const v = this.pattern === 'white' || (r + c) % 2 === 0 ? 255 : 0;
        for (let k = 0; k < ch; k++) images[base + ((top + r) * w + left + c) * ch + k] = v;
      }
    }
  }
}

/** Creates a {@link BadNets} attack. */
export function badNets(args?: BadNetsArgs): BadNets {
  return new BadNets(args);
}
