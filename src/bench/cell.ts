import { createHash } from 'node:crypto';
import type { Arch } from '../models/registry';
import type { Grid, NamedOptions } from './grid';

/**
 * How a model of the grid is trained: the attacked model of a row, or (attack, rate and target null) the
 * clean-trained reference with the same recipe. Every field is part of the model's cache key.
 */
export interface ModelConfig {
  dataset: string;
  arch: Arch;
  attack: NamedOptions | null;
  rate: number | null;
  target: number | null;
  seed: number;
  trainSize: number;
  epochs: number;
  batchSize: number;
  lr: number;
  /** Test images measured on (the first N of a shuffle seeded by 0); null = the whole test split. */
  testSize: number | null;
}

/** The attacked model's config of a row (attack, rate and target set). */
export type RowConfig = ModelConfig & { attack: NamedOptions; rate: number; target: number };

/**
 * One cell of the grid. 'defense': the row's attacked model purified by `defense`, measured before and after and
 * under each retuning attack. 'reference': the clean-trained model of the row's dataset, arch and seed, measured
 * with the row's attack (its ASR, and its ASR after each retuning attack: the yardstick of a lasting purification).
 */
export interface CellConfig {
  kind: 'defense' | 'reference';
  row: RowConfig;
  defense: NamedOptions | null;
  cleanFraction: number;
  retune: number[];
}

/** A cell and its config hash (the record's file name, the queue's job id). */
export interface Cell {
  hash: string;
  config: CellConfig;
}

/** JSON with object keys sorted at every depth, so that equal configs give equal text whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The first 16 hex digits of the SHA-256 of {@link canonicalJson}(value): a stable name for a config. */
export function configHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}

/** The clean-trained reference's config for a row: the same recipe, no attack. */
export function cleanModelConfig(row: ModelConfig): ModelConfig {
  return { ...row, attack: null, rate: null, target: null };
}

/**
 * Every cell of the grid: for each dataset, arch, seed, attack and poison rate (in that nesting), the reference cell
 * and then one cell per defense, in the grid's orders.
 */
export function expandGrid(grid: Grid): Cell[] {
  const cells: Cell[] = [];
  const add = (config: CellConfig): void => void cells.push({ hash: configHash(config), config });
  for (const dataset of grid.datasets) {
    for (const arch of grid.archs) {
      for (const seed of grid.seeds) {
        for (const attack of grid.attacks) {
          for (const rate of grid.poisonRates) {
            const row: RowConfig = {
              dataset,
              arch,
              attack,
              rate,
              target: grid.target,
              seed,
              trainSize: grid.trainSize,
              epochs: grid.epochs,
              batchSize: grid.batchSize,
              lr: grid.lr,
              testSize: grid.testSize ?? null,
            };
            const common = { row, cleanFraction: grid.cleanFraction, retune: grid.retune };
            add({ kind: 'reference', defense: null, ...common });
            for (const defense of grid.defenses) add({ kind: 'defense', defense, ...common });
          }
        }
      }
    }
  }
  return cells;
}
