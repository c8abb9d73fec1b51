import { ConfigError } from '../errors';
import type { Defense } from './defense';
import { anp } from './anp';
import { clp } from './clp';
import { fp } from './fine_pruning';
import { ft } from './ft';
import { fst } from './fst';
import { ftSam } from './ft_sam';
import { iBau } from './i_bau';
import { nad } from './nad';
import { nwcFp } from './nwc_fine_pruning';
import { pam } from './pam';
import { rnp } from './rnp';
import { sau } from './sau';
import { tsbd } from './tsbd_defense';
import { tsbdActivenessFt, tsbdRandomControl, tsbdReinitFt } from './tsbd_ablations';

const DEFENSES = new Map<string, Defense>();

/**
 * Adds a defense to the registry under its name.
 * @throws ConfigError when the name is taken or is not kebab-case.
 */
export function registerDefense(defense: Defense): void {
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(defense.name)) {
    throw new ConfigError(`a defense name must be kebab-case; received '${defense.name}'`, { name: defense.name });
  }
  if (DEFENSES.has(defense.name)) throw new ConfigError(`a defense named '${defense.name}' is already registered`, { name: defense.name });
  DEFENSES.set(defense.name, defense);
}

/** The defense registered as `name`. @throws ConfigError naming the known defenses when there is none. */
export function getDefense(name: string): Defense {
  const d = DEFENSES.get(name);
  if (d === undefined) {
    throw new ConfigError(`unknown defense '${name}'; known defenses: ${[...DEFENSES.keys()].join(', ')}`, { name });
  }
  return d;
}

/** Every registered defense, in registration order. */
export function listDefenses(): Defense[] {
  return [...DEFENSES.values()];
}

for (const d of [tsbd, ft, fp, nwcFp, clp, ftSam, nad, fst, rnp, anp, pam, iBau, sau, tsbdReinitFt, tsbdActivenessFt, tsbdRandomControl]) registerDefense(d);
