import { ConfigError } from '../errors';
import type { Attack, AttackConfig } from './attack';
import { BadNets, type BadNetsArgs } from './badnets';

const FACTORIES: Record<string, (args: Record<string, unknown>) => Attack> = {
  badnets: (args) => new BadNets(args as BadNetsArgs),
};

/** Names accepted by {@link createAttack}. */
export function listAttacks(): string[] {
  return Object.keys(FACTORIES);
}

/** Re-creates an attack from its config (e.g. attack.json); the other fields are the attack's options, validated. */
export function createAttack(config: AttackConfig | { name: string; [k: string]: unknown }): Attack {
  const factory = FACTORIES[config.name];
  if (factory === undefined) {
    throw new ConfigError(`unknown attack '${config.name}'; known: ${listAttacks().join(', ')}`, { name: config.name });
  }
  const { name: _name, ...args } = config;
  void _name;
  return factory(args);
}
