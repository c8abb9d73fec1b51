export { evaluate, predictLabels, type EvaluateOptions } from './evaluate';
export { der } from './der';
export { retuneAttack, drawRetunePoison, type RetuneAttackArgs, type RetuneResult } from './retune_attack';
