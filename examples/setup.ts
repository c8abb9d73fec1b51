/**
 * What every example shares: which data it runs on, the poisoned training set an attacker hands over, the disjoint
 * clean set the defender holds, and the result line the runner prints. This is the examples' scaffolding, not the
 * part a user copies: the user's own script already has its data.
 */
import { attacks, data, metrics, type ImageSet } from '../src';
import { loadFashionMnist } from '../src/node';

/** 'subset': the committed 8,000 + 2,000 images, short settings (CI). 'full': Fashion-MNIST as installed, the README's. */
export type ExampleData = 'subset' | 'full';

/** Test ACC and ASR (fractions in [0, 1]). */
export interface Scores {
  acc: number;
  asr: number;
}

/** What an example reports; the runner prints it as the last JSON line. */
export interface ExampleResult {
  before: Scores;
  after: Scores;
  /** Wall time of the defense (not of the setup that makes the backdoored model), in seconds. */
  seconds: number;
  [extra: string]: unknown;
}

export interface ExampleArgs {
  data: ExampleData;
  /** Progress lines (the runner sends them to stderr). */
  log: (line: string) => void;
}

/** The attacker's training images (with a backdoor planted) and the defender's clean images, drawn disjoint. */
export interface PoisonedTask {
  attack: attacks.BadNets;
  /** The attacker's training set, `rate` of it stamped and relabelled. */
  poisoned: ImageSet;
  /** The defender's clean labelled images: none of them were in the attacker's training set. */
  clean: ImageSet;
  test: ImageSet;
}

/**
 * Loads the data and splits the training images: every `step`-th image (step = count / cleanCount, rounded down) is
 * the defender's, the rest the attacker trains on, 10% of them poisoned with a 3x3 white patch at (21, 3) whose
 * target is class 2.
 */
export function poisonedTask(source: ExampleData, cleanCount: number): PoisonedTask {
  const { train, test } = loadFashionMnist(source);
  const step = Math.max(1, Math.floor(train.count / cleanCount));
  const mine: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < train.count; i++) (i % step === 0 && mine.length < cleanCount ? mine : theirs).push(i);
  const clean = data.subset(train, mine);
  const rest = data.subset(train, theirs);
  const attack = attacks.badNets({ patchSize: 3, position: { row: 21, col: 3 }, target: 2, rate: 0.1, seed: 7 });
  return { attack, poisoned: attack.poison(rest).set, clean, test };
}

/** Test ACC and ASR of `model`, rounded to 4 decimals. */
export async function scores(model: Parameters<typeof metrics.evaluate>[0], task: PoisonedTask): Promise<Scores> {
  const r = await metrics.evaluate(model, task.test, task.attack);
  return { acc: round4(r.acc), asr: round4(r.asr) };
}

export const round4 = (v: number): number => Math.round(v * 10000) / 10000;
