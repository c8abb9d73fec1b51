export type { Attack, AttackAsset, AttackMode, AttackOption, BaseAttackConfig } from './attack';
export { BadNets, badNets, type BadNetsArgs, type BadNetsConfig } from './badnets';
export { Blended, blended, type BlendedArgs, type BlendedConfig } from './blended';
export { LowFrequency, lowFrequency, type LowFrequencyArgs, type LowFrequencyConfig } from './lf';
export { Sig, sig, type SigArgs, type SigConfig } from './sig';
export { WaNet, waNet, type WaNetArgs, type WaNetConfig } from './wanet';
export { gridSample } from './grid_sample';
export type { PoisonArgs } from './poisoning';
export { attackSpec, createAttack, listAttacks, type AttackConfig, type AttackSpec } from './registry';
