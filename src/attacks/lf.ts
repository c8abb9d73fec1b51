import type { ImageSet } from '../data/image_set';
import { checkNumber } from '../internal/assert';
import { Rng } from '../internal/rng';
import type { AttackAsset, AttackOption } from './attack';
import { AssetStore, assetFloats, floatAsset } from './asset_store';
import { toPixel, type PoisonArgs } from './poisoning';
import { PoisoningAttack } from './poisoning_attack';

/** Options of {@link LowFrequency}. */
export interface LowFrequencyArgs extends PoisonArgs {
  /** Largest change of any pixel, on the 0..255 scale. @default 25 */
  epsilon?: number;
  /** Cosine frequencies used per axis: 0 .. bands-1 (the constant term excluded). @default 3 */
  bands?: number;
}

/** The JSON form of an LF attack. */
export type LowFrequencyConfig = { name: 'lf' } & Required<LowFrequencyArgs>;

/** The CLI options of LF. */
export const LF_OPTIONS: readonly AttackOption[] = [
  { flag: 'lf-epsilon', key: 'epsilon', kind: 'number', default: 25, help: 'largest pixel change, 0..255 scale' },
  { flag: 'lf-bands', key: 'bands', kind: 'int', default: 3, help: 'cosine frequencies per axis (the lower the smoother)' },
];

const PERTURBATION_SALT = 0x6a09e667;

/**
 * LF (Zeng, Park, Mangal, Singh & Jia 2021, "Rethinking the backdoor attacks' triggers: a frequency perspective",
 * arXiv:2104.03413): one universal additive perturbation made of low spatial frequencies only, so it survives
 * low-pass filtering and looks like a smooth shading. Poisoned images are relabelled.
 *
 * Porting note: the paper (and BackdoorBench, which ships a perturbation per dataset) optimises the perturbation
 * against a surrogate model under a low-pass constraint. Here it is drawn, not optimised: per channel, a sum of 2-D
 * cosines cos(pi u (r + 0.5) / h) cos(pi v (c + 0.5) / w) for 0 <= u, v < bands, (u, v) != (0, 0), with seeded
 * uniform [-1, 1] weights, scaled so that its largest magnitude is `epsilon`. It is saved beside attack.json as the
 * float32 asset 'perturbation' [h, w, c] (0..255 scale).
 */
export class LowFrequency extends PoisoningAttack<LowFrequencyConfig> {
  readonly name = 'lf';
  readonly epsilon: number;
  readonly bands: number;
  private readonly store: AssetStore;

  /** `assets` re-creates the attack with a saved perturbation ('perturbation', float32 [h, w, c]). */
  constructor(args: LowFrequencyArgs = {}, assets?: Record<string, AttackAsset>) {
    super(args);
    this.epsilon = args.epsilon ?? 25;
    this.bands = args.bands ?? 3;
    checkNumber('epsilon', this.epsilon, 0, 255, { minExclusive: true });
    checkNumber('bands', this.bands, 2, 64, { integer: true });
    this.store = new AssetStore(
      'lf',
      (h, w, c) => ({ perturbation: { dtype: 'float32', shape: [h, w, c] } }),
      (h, w, c) => ({ perturbation: floatAsset(this.draw(h, w, c), [h, w, c]) }),
      assets,
    );
  }

  config(): LowFrequencyConfig {
    const { epsilon, bands, target, rate, seed, mode } = this;
    return { name: 'lf', epsilon, bands, target, rate, seed, mode };
  }

  assets(h: number, w: number, c: number): Record<string, AttackAsset> {
    return this.store.get(h, w, c);
  }

  applyTrigger(set: ImageSet): ImageSet {
    const pert = assetFloats(this.assets(set.height, set.width, set.channels).perturbation as AttackAsset);
    const per = pert.length;
    const images = new Uint8Array(set.images.length);
    for (let i = 0; i < images.length; i++) images[i] = toPixel((set.images[i] as number) + (pert[i % per] as number));
    return { ...set, images };
  }

  /** The perturbation, HWC, before it is saved: seeded cosine weights, scaled to a peak of epsilon. */
  private draw(h: number, w: number, c: number): Float32Array {
    const rng = new Rng((this.seed ^ PERTURBATION_SALT) >>> 0);
    const out = new Float64Array(h * w * c);
    for (let k = 0; k < c; k++) {
      for (let u = 0; u < this.bands; u++) {
        for (let v = 0; v < this.bands; v++) {
          if (u === 0 && v === 0) continue;
          const a = 2 * rng.next() - 1;
          for (let r = 0; r < h; r++) {
            const cu = Math.cos((Math.PI * u * (r + 0.5)) / h);
            for (let col = 0; col < w; col++) out[(r * w + col) * c + k] = (out[(r * w + col) * c + k] as number) + a * cu * Math.cos((Math.PI * v * (col + 0.5)) / w);
          }
        }
      }
    }
    let peak = 0;
    for (const v of out) peak = Math.max(peak, Math.abs(v));
    return Float32Array.from(out, (v) => (peak === 0 ? 0 : (v / peak) * this.epsilon));
  }
}

/** Creates an {@link LowFrequency} (LF) attack. */
export function lowFrequency(args?: LowFrequencyArgs): LowFrequency {
  return new LowFrequency(args);
}
