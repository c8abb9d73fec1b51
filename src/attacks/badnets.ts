import type { ImageSet } from '../data/image_set';
import { ConfigError } from '../errors';
import { checkConfig, checkNumber } from '../internal/assert';
import { Rng } from '../internal/rng';
import type { AttackAsset, AttackOption } from './attack';
import { checkTarget, type PoisonArgs } from './poisoning';
import { PoisoningAttack } from './poisoning_attack';

/** Options of {@link BadNets}. */
export interface BadNetsArgs extends PoisonArgs {
  /** Side of the square patch, in pixels. @default 3 (BackdoorBench's 3x3 white square) */
  patchSize?: number;
  /**
   * Where the patch sits: a corner (bottom-right, bottom-left, top-right, top-left), or the pixel row and column of
   * its top-left corner, anywhere in the image. @default 'br'
   */
  position?: PatchPosition;
  /**
   * 'white': 255 everywhere in the patch; 'checker': 255 where (row + col) is even, 0 where odd; 'random': each patch
   * pixel (all channels alike) 0 or 255 by a fixed coin flip drawn from `patternSeed`. @default 'white'
   */
  pattern?: 'white' | 'checker' | 'random';
  /** Seeds the 'random' pattern (ignored by the others). @default 0 */
  patternSeed?: number;
}

/** The CLI options of BadNets. */
export const BADNETS_OPTIONS: readonly AttackOption[] = [
  { flag: 'patch-size', key: 'patchSize', kind: 'int', default: 3, help: 'patch side, pixels' },
  { flag: 'patch-pos', key: 'position', kind: 'position', default: 'br', help: "patch corner (br, bl, tr, tl) or 'ROW,COL' of its top-left pixel" },
  { flag: 'patch-pattern', key: 'pattern', kind: 'choice', choices: ['white', 'checker', 'random'], default: 'white', help: 'patch pattern' },
  { flag: 'pattern-seed', key: 'patternSeed', kind: 'int', default: 0, help: "seed of the 'random' patch pattern" },
];

/** A patch corner, or the row and column (pixels, 0-based) of the patch's top-left pixel. */
export type PatchPosition = 'br' | 'bl' | 'tr' | 'tl' | { row: number; col: number };

const CORNERS = ['br', 'bl', 'tr', 'tl'];

/** The JSON form of a BadNets attack. */
export type BadNetsConfig = { name: 'badnets' } & Required<BadNetsArgs>;

/**
 * BadNets (Gu, Dolan-Gavitt & Garg 2017, arXiv:1708.06733): a small fixed patch stamped in a corner; poisoned
 * training images are relabelled to the target class.
 */
export class BadNets extends PoisoningAttack<BadNetsConfig> {
  readonly name = 'badnets';
  readonly patchSize: number;
  readonly position: PatchPosition;
  readonly pattern: 'white' | 'checker' | 'random';
  readonly patternSeed: number;

  constructor(args: BadNetsArgs = {}) {
    super(args);
    this.patchSize = args.patchSize ?? 3;
    this.position = args.position ?? 'br';
    this.pattern = args.pattern ?? 'white';
    this.patternSeed = args.patternSeed ?? 0;
    checkNumber('patchSize', this.patchSize, 1, Infinity, { integer: true });
    const pos = this.position;
    if (typeof pos === 'object' && pos !== null) {
      checkNumber('position.row', pos.row, 0, Infinity, { integer: true });
      checkNumber('position.col', pos.col, 0, Infinity, { integer: true });
    } else {
      checkConfig(CORNERS.includes(pos), () => `position must be br, bl, tr, tl or {row, col}; received ${JSON.stringify(pos)}`);
    }
    checkConfig(['white', 'checker', 'random'].includes(this.pattern), () => `pattern must be white, checker or random; received ${String(this.pattern)}`);
    checkNumber('patternSeed', this.patternSeed, 0, 2 ** 32, { integer: true });
  }

  /** None: the patch is all in the config. */
  assets(): Record<string, AttackAsset> {
    return {};
  }

  config(): BadNetsConfig {
    const { patchSize, pattern, patternSeed, target, rate, seed, mode } = this;
    const position = typeof this.position === 'string' ? this.position : { ...this.position };
    return { name: 'badnets', patchSize, position, pattern, patternSeed, target, rate, seed, mode };
  }

  applyTrigger(set: ImageSet): ImageSet {
    this.check(set);
    const images = set.images.slice();
    const values = this.patch();
    for (let i = 0; i < set.count; i++) this.stamp(images, set, i, values);
    return { ...set, images };
  }

  override poison(set: ImageSet): { set: ImageSet; indices: Int32Array } {
    this.check(set);
    return super.poison(set);
  }

  private check(set: ImageSet): void {
    if (this.patchSize > set.height || this.patchSize > set.width) {
      throw new ConfigError(`patchSize ${this.patchSize} is larger than the ${set.height}x${set.width} images`, { patchSize: this.patchSize });
    }
    const { top, left } = this.corner(set);
    if (top + this.patchSize > set.height || left + this.patchSize > set.width) {
      throw new ConfigError(
        `a ${this.patchSize}x${this.patchSize} patch at row ${top}, column ${left} does not fit in the ${set.height}x${set.width} images`,
        { position: this.position, patchSize: this.patchSize },
      );
    }
    checkTarget(this, set);
  }

  /** Pixel row and column of the patch's top-left corner in images of `set`'s size. */
  private corner(set: ImageSet): { top: number; left: number } {
    const p = this.position;
    if (typeof p === 'object') return { top: p.row, left: p.col };
    const s = this.patchSize;
    return { top: p[0] === 'b' ? set.height - s : 0, left: p[1] === 'r' ? set.width - s : 0 };
  }

  /** The patch's pixel values, row-major, one per pixel (all channels alike). */
  private patch(): Uint8Array {
    const s = this.patchSize;
    const values = new Uint8Array(s * s);
    const coin = new Rng(this.patternSeed);
    for (let r = 0; r < s; r++) {
      for (let c = 0; c < s; c++) {
        const on = this.pattern === 'white' || (this.pattern === 'checker' ? (r + c) % 2 === 0 : coin.next() < 0.5);
        values[r * s + c] = on ? 255 : 0;
      }
    }
    return values;
  }

  private stamp(images: Uint8Array, set: ImageSet, i: number, values: Uint8Array): void {
    const { height: h, width: w, channels: ch } = set;
    const s = this.patchSize;
    const { top, left } = this.corner(set);
    const base = i * h * w * ch;
    for (let r = 0; r < s; r++) {
      for (let c = 0; c < s; c++) {
        const v = values[r * s + c] as number;
        for (let k = 0; k < ch; k++) images[base + ((top + r) * w + left + c) * ch + k] = v;
      }
    }
  }
}

/** Creates a {@link BadNets} attack. */
export function badNets(args?: BadNetsArgs): BadNets {
  return new BadNets(args);
}
