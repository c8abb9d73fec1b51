import type { ImageSet } from '../data/image_set';
import type { Attack, AttackAsset, AttackMode, BaseAttackConfig } from './attack';
import { choosePoisoned, poisonAt, poisonDefaults, poisonLabel, type PoisonArgs } from './poisoning';

/**
 * What every attack here shares: the options of {@link PoisonArgs} (validated, defaults filled in), the label map
 * they define, and dirty-label poisoning of the training set. An attack adds its trigger (`applyTrigger`, `assets`)
 * and its config; one that poisons otherwise (clean-label, cross-trigger or noise-mode images) overrides `poison`.
 */
export abstract class PoisoningAttack<C extends BaseAttackConfig> implements Attack<C> {
  abstract readonly name: C['name'];
  readonly target: number;
  readonly rate: number;
  /** Seeds which images are poisoned and every random part of the trigger. */
  readonly seed: number;
  readonly mode: AttackMode;

  /** Throws ConfigError naming the first of `args`' poisoning options that is out of range. */
  protected constructor(args: PoisonArgs) {
    const p = poisonDefaults(args);
    this.target = p.target;
    this.rate = p.rate;
    this.seed = p.seed;
    this.mode = p.mode;
  }

  poisonLabel(label: number, numClasses: number): number {
    return poisonLabel(this.mode, this.target, label, numClasses);
  }

  abstract config(): C;
  abstract assets(height: number, width: number, channels: number): Record<string, AttackAsset>;
  abstract applyTrigger(set: ImageSet): ImageSet;

  /** Dirty-label poisoning: round(rate x count) images not already of their poisoned label, stamped and relabelled. */
  poison(set: ImageSet): { set: ImageSet; indices: Int32Array } {
    const indices = choosePoisoned(set, this, false);
    return { set: poisonAt(set, indices, (s) => this.applyTrigger(s), (y) => this.poisonLabel(y, set.numClasses)), indices };
  }
}
