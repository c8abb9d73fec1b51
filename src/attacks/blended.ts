import type { ImageSet } from '../data/image_set';
import { checkNumber } from '../internal/assert';
import { Rng } from '../internal/rng';
import type { AttackAsset, AttackOption } from './attack';
import { AssetStore } from './asset_store';
import { toPixel, type PoisonArgs } from './poisoning';
import { PoisoningAttack } from './poisoning_attack';

/** Options of {@link Blended}. */
export interface BlendedArgs extends PoisonArgs {
  /** Weight of the blend image: stamped = (1 - alpha) * image + alpha * pattern. @default 0.2 (BackdoorBench) */
  alpha?: number;
}

/** The JSON form of a Blended attack. */
export type BlendedConfig = { name: 'blended' } & Required<BlendedArgs>;

/** The CLI options of Blended. */
export const BLENDED_OPTIONS: readonly AttackOption[] = [
  { flag: 'blend-alpha', key: 'alpha', kind: 'number', default: 0.2, help: 'weight of the blend image, in (0, 1]' },
];

/** Mixes the seed with a constant so that the blend image's draws differ from the poison-index draws of the same seed. */
const PATTERN_SALT = 0x2545f491;

/**
 * Blended (Chen, Liu, Li, Lu & Song 2017, arXiv:1712.05526): a fixed image blended into the input at weight alpha;
 * poisoned training images are relabelled. Porting note: BackdoorBench blends a Hello Kitty photo, which cannot be
 * downloaded here; the blend image is instead uniform random noise, one value per pixel and channel drawn from the
 * seed (Chen et al.'s own random-pattern variant). It is saved beside attack.json as the asset 'pattern'.
 */
export class Blended extends PoisoningAttack<BlendedConfig> {
  readonly name = 'blended';
  readonly alpha: number;
  private readonly store: AssetStore;

  /** `assets` re-creates the attack with a saved blend image ('pattern', uint8 [h, w, c]). */
  constructor(args: BlendedArgs = {}, assets?: Record<string, AttackAsset>) {
    super(args);
    this.alpha = args.alpha ?? 0.2;
    checkNumber('alpha', this.alpha, 0, 1, { minExclusive: true });
    this.store = new AssetStore(
      'blended',
      (h, w, c) => ({ pattern: { dtype: 'uint8', shape: [h, w, c] } }),
      (h, w, c) => {
        const rng = new Rng((this.seed ^ PATTERN_SALT) >>> 0);
        const bytes = Uint8Array.from({ length: h * w * c }, () => rng.int(256));
        return { pattern: { bytes, dtype: 'uint8', shape: [h, w, c] } };
      },
      assets,
    );
  }

  config(): BlendedConfig {
    const { alpha, target, rate, seed, mode } = this;
    return { name: 'blended', alpha, target, rate, seed, mode };
  }

  assets(h: number, w: number, c: number): Record<string, AttackAsset> {
    return this.store.get(h, w, c);
  }

  applyTrigger(set: ImageSet): ImageSet {
    const pattern = (this.assets(set.height, set.width, set.channels).pattern as AttackAsset).bytes;
    const per = pattern.length;
    const images = new Uint8Array(set.images.length);
    const a = this.alpha;
    for (let i = 0; i < set.images.length; i++) images[i] = toPixel((1 - a) * (set.images[i] as number) + a * (pattern[i % per] as number));
    return { ...set, images };
  }
}

/** Creates a {@link Blended} attack. */
export function blended(args?: BlendedArgs): Blended {
  return new Blended(args);
}
