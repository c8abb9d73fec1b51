export { evaluate, predictLabels, type EvaluateOptions } from './evaluate';
export { der } from './der';
export { retuneAttack, type RetuneAttackArgs, type RetuneResult } from './retune_attack';
