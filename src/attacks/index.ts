export type { Attack, AttackConfig } from './attack';
export { BadNets, badNets, type BadNetsArgs, type BadNetsConfig } from './badnets';
export { createAttack, listAttacks } from './registry';
