import type * as tfl from '@tensorflow/tfjs-layers';
import type { Attack } from '../attacks/attack';
import { InputAware } from '../attacks/input_aware';
import { Ssba } from '../attacks/ssba';
import { Trojan } from '../attacks/trojan';
import type { ImageSet } from '../data/image_set';
import { buildModel, type Arch } from '../models/registry';
import { trainClassifier } from './train_classifier';

/** The training recipe of `tsbd attack` (and of the bench's attacked and clean-trained models). */
export interface AttackRecipe {
  arch: Arch;
  /** Base number of filters, for the architectures that take one. */
  width?: number | undefined;
  /** Passes over the poisoned training set. */
  epochs: number;
  /** Images per step. */
  batchSize: number;
  /** Adam learning rate. */
  lr: number;
  /** Seeds initialisation, the learned triggers' training and the shuffles. */
  seed: number;
}

/** Trains the clean reference model (the recipe, `referenceEpochs` epochs) and optimises the Trojan patch on it. */
async function prepareTrojan(attack: Trojan, recipe: AttackRecipe, clean: ImageSet, log: (line: string) => void): Promise<void> {
  const reference = buildModel(recipe.arch, { inputShape: [clean.height, clean.width, clean.channels], numClasses: clean.numClasses, seed: recipe.seed });
  try {
    await trainClassifier(reference, clean, { epochs: attack.referenceEpochs, batchSize: recipe.batchSize, lr: recipe.lr, seed: recipe.seed });
    attack.prepare(reference, clean);
    log(`trojan: patch optimised on a reference model trained ${attack.referenceEpochs} epoch(s) on clean data`);
  } finally {
    reference.dispose();
  }
}

/**
 * Trains a fresh model of `recipe.arch` on `train` poisoned by `attack` (clean when `attack` is undefined), first
 * training what a learned trigger needs (Trojan's reference model, the SSBA encoder, the Input-aware generator).
 * Returns a NEW model, which the caller owns and disposes, and how many training images were poisoned.
 */
export async function trainAttackedModel(
  train: ImageSet,
  attack: Attack | undefined,
  recipe: AttackRecipe,
  log: (line: string) => void,
): Promise<{ model: tfl.LayersModel; poisoned: number }> {
  if (attack instanceof Trojan) await prepareTrojan(attack, recipe, train, log);
  if (attack instanceof Ssba || attack instanceof InputAware) {
    attack.prepare(train);
    log(`${attack.name}: trigger network trained for ${attack.steps} steps on the training images`);
  }
  // An attack that poisons every batch afresh (WaNet, as its reference) trains on the clean set through its poisoner.
  const perBatch = attack?.batchPoisoner?.();
  const poisoned = attack === undefined || perBatch !== undefined ? { set: train, indices: new Int32Array(0) } : attack.poison(train);
  log(
    perBatch === undefined
      ? `${attack?.name ?? 'none'}: ${poisoned.indices.length} of ${train.count} training images poisoned`
      : `${attack?.name}: each batch poisoned afresh (floor(${attack?.rate} x batch size) images) of ${train.count} training images`,
  );
  const model = buildModel(recipe.arch, {
    inputShape: [train.height, train.width, train.channels],
    numClasses: train.numClasses,
    seed: recipe.seed,
    ...(recipe.width === undefined ? {} : { width: recipe.width }),
  });
  try {
    await trainClassifier(model, poisoned.set, {
      epochs: recipe.epochs,
      batchSize: recipe.batchSize,
      lr: recipe.lr,
      seed: recipe.seed,
      ...(perBatch === undefined ? {} : { transformBatch: perBatch }),
      onEpochEnd: (e, loss, acc) => log(`attack epoch ${e + 1}/${recipe.epochs}: loss ${loss.toFixed(4)} acc ${acc?.toFixed(4)}`),
    });
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, poisoned: poisoned.indices.length };
}
