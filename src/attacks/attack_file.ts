import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../io/atomic_write';
import { ConfigError, IoError } from '../errors';
import type { Attack, AttackAsset } from './attack';
import { createAttack } from './registry';

/** File name of an attack's description inside an attack directory. */
export const ATTACK_FILE = 'attack.json';

/** How attack.json lists an asset saved beside it. */
interface AssetEntry {
  file: string;
  sha256: string;
  dtype: AttackAsset['dtype'];
  shape: number[];
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Writes DIR/attack.json (the attack's config, its assets for h x w x c images and `report`, e.g. the mean PSNR)
 * and each asset as DIR/<attack>-<asset>.bin with its SHA-256 in attack.json, all atomically. The directory must exist.
 */
export function saveAttack(dir: string, attack: Attack, shape: { height: number; width: number; channels: number }, report: Record<string, unknown> = {}): void {
  const assets: Record<string, AssetEntry> = {};
  for (const [name, a] of Object.entries(attack.assets(shape.height, shape.width, shape.channels))) {
    const file = `${attack.name}-${name}.bin`;
    writeFileAtomic(join(dir, file), a.bytes);
    assets[name] = { file, sha256: sha256(a.bytes), dtype: a.dtype, shape: [...a.shape] };
  }
  const json = { ...attack.config(), ...(Object.keys(assets).length > 0 ? { assets } : {}), ...report };
  writeFileAtomic(join(dir, ATTACK_FILE), `${JSON.stringify(json, null, 2)}\n`);
}

/**
 * Re-creates the attack an attack.json describes, with its saved assets (read from beside it; each file's SHA-256
 * must match the one recorded, else IoError). Report fields written by {@link saveAttack} (`psnr`) are ignored.
 */
export function loadAttack(path: string): Attack {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new IoError(`cannot read attack config ${path}: ${(e as Error).message}`, { path });
  }
  if (parsed === null || typeof parsed !== 'object' || typeof (parsed as { name?: unknown }).name !== 'string') {
    throw new IoError(`attack config ${path} has no "name" field`, { path });
  }
  const { assets: entries, psnr: _psnr, ...config } = parsed as { name: string; assets?: unknown; psnr?: unknown; [k: string]: unknown };
  void _psnr;
  if (entries === undefined) return createAttack(config);
  if (entries === null || typeof entries !== 'object') throw new ConfigError(`attack config ${path}: "assets" must be an object`, { path });
  const assets: Record<string, AttackAsset> = {};
  for (const [name, raw] of Object.entries(entries as Record<string, Partial<AssetEntry>>)) {
    const { file, sha256: want, dtype, shape } = raw;
    if (typeof file !== 'string' || typeof want !== 'string' || (dtype !== 'uint8' && dtype !== 'float32') || !Array.isArray(shape)) {
      throw new ConfigError(`attack config ${path}: asset '${name}' needs file, sha256, dtype (uint8 or float32) and shape`, { path, asset: name });
    }
    const assetPath = join(dirname(path), file);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(assetPath));
    } catch (e) {
      throw new IoError(`cannot read the ${config.name} asset '${name}' at ${assetPath}: ${(e as Error).message}`, { path: assetPath });
    }
    const got = sha256(bytes);
    if (got !== want) {
      throw new IoError(`${assetPath}: SHA-256 ${got} does not match ${want} recorded in ${path}; the file was changed`, { path: assetPath });
    }
    assets[name] = { bytes, dtype, shape: shape as number[] };
  }
  return createAttack(config, assets);
}
