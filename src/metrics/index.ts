export { evaluate, predictLabels, type EvaluateOptions } from './evaluate';
export { der } from './der';
