import { ConfigError } from '../errors';
import type { Attack, AttackAsset, AttackOption } from './attack';
import { BadNets, BADNETS_OPTIONS, type BadNetsArgs, type BadNetsConfig } from './badnets';
import { Blended, BLENDED_OPTIONS, type BlendedArgs, type BlendedConfig } from './blended';
import { INPUT_AWARE_OPTIONS, InputAware, type InputAwareArgs, type InputAwareConfig } from './input_aware';
import { LF_OPTIONS, LowFrequency, type LowFrequencyArgs, type LowFrequencyConfig } from './lf';
import { Sig, SIG_OPTIONS, type SigArgs, type SigConfig } from './sig';
import { Ssba, SSBA_OPTIONS, type SsbaArgs, type SsbaConfig } from './ssba';
import { Trojan, TROJAN_OPTIONS, type TrojanArgs, type TrojanConfig } from './trojan';
import { WaNet, WANET_OPTIONS, type WaNetArgs, type WaNetConfig } from './wanet';

/** The JSON form of any attack this package makes (attack.json); `name` tells which. */
export type AttackConfig = BadNetsConfig | BlendedConfig | SigConfig | WaNetConfig | LowFrequencyConfig | TrojanConfig | InputAwareConfig | SsbaConfig;

/** An attack the registry knows: its name, a one-line summary, its own options and how to make it. */
export interface AttackSpec {
  readonly name: AttackConfig['name'];
  readonly summary: string;
  /** Only target-class images are stamped and labels are kept. */
  readonly cleanLabel: boolean;
  readonly options: readonly AttackOption[];
  /** Makes the attack from its options (validated there); `assets` are saved trigger parts to reuse. */
  create(args: Record<string, unknown>, assets?: Record<string, AttackAsset>): Attack;
}

const SPECS: readonly AttackSpec[] = [
  {
    name: 'badnets',
    summary: 'a small fixed patch (Gu et al. 2017)',
    cleanLabel: false,
    options: BADNETS_OPTIONS,
    create: (args) => new BadNets(args as BadNetsArgs),
  },
  {
    name: 'blended',
    summary: 'a fixed seeded noise image blended in at weight alpha (Chen et al. 2017)',
    cleanLabel: false,
    options: BLENDED_OPTIONS,
    create: (args, assets) => new Blended(args as BlendedArgs, assets),
  },
  {
    name: 'sig',
    summary: 'a horizontal sinusoid on target-class images, labels kept (Barni et al. 2019)',
    cleanLabel: true,
    options: SIG_OPTIONS,
    create: (args) => new Sig(args as SigArgs),
  },
  {
    name: 'wanet',
    summary: 'a fixed smooth warp, with noise-mode images (Nguyen & Tran 2021)',
    cleanLabel: false,
    options: WANET_OPTIONS,
    create: (args, assets) => new WaNet(args as WaNetArgs, assets),
  },
  {
    name: 'lf',
    summary: 'a universal low-frequency additive perturbation (Zeng et al. 2021)',
    cleanLabel: false,
    options: LF_OPTIONS,
    create: (args, assets) => new LowFrequency(args as LowFrequencyArgs, assets),
  },
  {
    name: 'trojan',
    summary: 'a patch optimised to excite feature neurons of a clean reference model (Liu et al. 2018)',
    cleanLabel: false,
    options: TROJAN_OPTIONS,
    create: (args, assets) => new Trojan(args as TrojanArgs, assets),
  },
  {
    name: 'input-aware',
    summary: 'a generator makes a trigger per image, with cross-trigger images (Nguyen & Tran 2020)',
    cleanLabel: false,
    options: INPUT_AWARE_OPTIONS,
    create: (args, assets) => new InputAware(args as InputAwareArgs, assets),
  },
  {
    name: 'ssba',
    summary: 'an invisible per-image residual from a small encoder trained on the data (after Li et al. 2021)',
    cleanLabel: false,
    options: SSBA_OPTIONS,
    create: (args, assets) => new Ssba(args as SsbaArgs, assets),
  },
];

/** Names accepted by {@link createAttack}, in a fixed order. */
export function listAttacks(): string[] {
  return SPECS.map((s) => s.name);
}

/** The registry's entry for `name`; throws ConfigError listing the known names. */
export function attackSpec(name: string): AttackSpec {
  const spec = SPECS.find((s) => s.name === name);
  if (spec === undefined) {
    throw new ConfigError(`unknown attack '${name}'; known: ${listAttacks().join(', ')}`, { name });
  }
  return spec;
}

/**
 * Re-creates an attack from its config (e.g. attack.json); the other fields are the attack's options, validated.
 * `assets` (as {@link Attack.assets} gave them, e.g. read back from files) replace the generated trigger parts.
 */
export function createAttack(config: AttackConfig | { name: string; [k: string]: unknown }, assets?: Record<string, AttackAsset>): Attack {
  const spec = attackSpec(config.name);
  const { name: _name, ...args } = config;
  void _name;
  return spec.create(args, assets);
}
