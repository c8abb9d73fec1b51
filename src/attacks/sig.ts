import type { ImageSet } from '../data/image_set';
import { checkConfig, checkNumber } from '../internal/assert';
import type { AttackAsset, AttackOption } from './attack';
import { choosePoisoned, poisonAt, toPixel, type PoisonArgs } from './poisoning';
import { PoisoningAttack } from './poisoning_attack';

/** Options of {@link Sig}. */
export interface SigArgs extends PoisonArgs {
  /** Amplitude of the sinusoid, on the 0..255 pixel scale. @default 40 (BackdoorBench) */
  delta?: number;
  /** Periods across the image width. @default 6 (BackdoorBench) */
  frequency?: number;
  /**
   * What `rate` is a fraction of: 'target-class' stamps round(rate * size of the target class) images, as Barni et
   * al. define the poisoning (the fraction of the target class's training samples that are corrupted);
   * 'training-set' stamps round(rate * N), capped at the class size, as BackdoorBench's sig.py does (its pratio is
   * always poisoned / all samples, a departure it states). @default 'target-class'
   */
  rateOf?: SigRateOf;
}

/** What a SIG poisoning rate is a fraction of (see {@link SigArgs.rateOf}). */
export type SigRateOf = 'target-class' | 'training-set';

/** The JSON form of a SIG attack. */
export type SigConfig = { name: 'sig' } & Required<SigArgs>;

/** The CLI options of SIG. */
export const SIG_OPTIONS: readonly AttackOption[] = [
  { flag: 'sig-delta', key: 'delta', kind: 'number', default: 40, help: 'sinusoid amplitude, 0..255 pixel scale' },
  { flag: 'sig-frequency', key: 'frequency', kind: 'number', default: 6, help: 'sinusoid periods across the image width' },
  {
    flag: 'sig-rate-of',
    key: 'rateOf',
    kind: 'choice',
    choices: ['target-class', 'training-set'],
    default: 'target-class',
    help: '--poison-rate is a fraction of the target class (Barni et al.) or of the training set (BackdoorBench)',
  },
];

/**
 * SIG (Barni, Kallas & Tondi 2019, arXiv:1902.11237): a horizontal sinusoid added to the image,
 * pixel (r, c) += delta * sin(2 pi c frequency / width), the same on every row and channel, then rounded and clamped
 * to 0..255. Clean-label: only images of the target class are stamped and their labels are kept. The rate is, by
 * default, the fraction of the target class stamped, as in the paper (`rateOf`); BackdoorBench's fraction of the
 * whole training set stamps nearly all of a balanced ten-class target class at rate 0.1. All-to-one only.
 */
export class Sig extends PoisoningAttack<SigConfig> {
  readonly name = 'sig';
  readonly delta: number;
  readonly frequency: number;
  readonly rateOf: SigRateOf;

  constructor(args: SigArgs = {}) {
    super(args);
    checkConfig(this.mode === 'all-to-one', () => 'sig is a clean-label attack: it stamps target-class images only, so mode must be all-to-one', {
      option: 'mode',
    });
    this.delta = args.delta ?? 40;
    this.frequency = args.frequency ?? 6;
    checkNumber('delta', this.delta, 0, 255, { minExclusive: true });
    checkNumber('frequency', this.frequency, 0, Infinity, { minExclusive: true });
    this.rateOf = args.rateOf ?? 'target-class';
    checkConfig(this.rateOf === 'target-class' || this.rateOf === 'training-set', () => `rateOf must be 'target-class' or 'training-set'; received ${JSON.stringify(this.rateOf)}`, {
      option: 'rateOf',
    });
  }

  config(): SigConfig {
    const { delta, frequency, rateOf, target, rate, seed, mode } = this;
    return { name: 'sig', delta, frequency, rateOf, target, rate, seed, mode };
  }

  /** None: the sinusoid is all in the config. */
  assets(): Record<string, AttackAsset> {
    return {};
  }

  applyTrigger(set: ImageSet): ImageSet {
    const { width: w, channels: ch } = set;
    const wave = Float64Array.from({ length: w }, (_, c) => this.delta * Math.sin((2 * Math.PI * c * this.frequency) / w));
    const images = new Uint8Array(set.images.length);
    for (let i = 0; i < images.length; i++) {
      const col = Math.floor(i / ch) % w;
      images[i] = toPixel((set.images[i] as number) + (wave[col] as number));
    }
    return { ...set, images };
  }

  /** Stamps target-class images only; labels are kept (`indices` are the stamped positions). */
  override poison(set: ImageSet): { set: ImageSet; indices: Int32Array } {
    const indices = choosePoisoned(set, this, true, this.rateOf === 'target-class');
    return { set: poisonAt(set, indices, (s) => this.applyTrigger(s), undefined), indices };
  }
}

/** Creates a {@link Sig} attack. */
export function sig(args?: SigArgs): Sig {
  return new Sig(args);
}
