import { basename, dirname, join, resolve } from 'node:path';

import { ConfigError } from '../errors';

/** Where a model lives: the directory that holds it and its JSON file inside that directory. */
export interface ModelPath {
  /** Absolute directory of the model (holds the JSON and weights.bin). */
  dir: string;
  /** Absolute path of the model's JSON file. */
  json: string;
  /** File name of the JSON inside `dir` (usually model.json). */
  jsonName: string;
}

/**
 * Resolves a user path: `x/model.json` (any `*.json`) names the JSON file itself; anything else is a directory
 * that holds `model.json`. A leading `file://` is dropped, so tfjs-style URLs work too.
 * @throws ConfigError for an empty path.
 */
export function resolveModelPath(path: string): ModelPath {
  if (typeof path !== 'string' || path.trim() === '') {
    throw new ConfigError(`model path must be a non-empty string; received ${JSON.stringify(path)}`, { option: 'path', received: path });
  }
  const plain = path.startsWith('file://') ? path.slice('file://'.length) : path;
  const abs = resolve(plain);
  if (abs.toLowerCase().endsWith('.json')) return { dir: dirname(abs), json: abs, jsonName: basename(abs) };
  return { dir: abs, json: join(abs, 'model.json'), jsonName: 'model.json' };
}
