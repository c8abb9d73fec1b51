import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize, sep } from 'node:path';

import { IoError } from '../errors';
import { fsyncDirSync } from './atomic_write';
import { resolveModelPath, type ModelPath } from './model_path';

/** Options of `fileHandler` and `saveModel`. */
export interface FileHandlerOptions {
  /**
   * Replace an existing model directory. Without it, saving into a non-empty directory throws IoError.
   * Even with it, a non-empty directory that holds no model JSON is never replaced.
   * @default false
   */
  force?: boolean | undefined;
}

/** The weights file name this handler writes (one shard). */
export const WEIGHTS_FILE = 'weights.bin';

type DirState = 'missing' | 'empty' | 'model' | 'other';

function errno(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

async function dirState(where: ModelPath): Promise<DirState> {
  let entries: string[];
  try {
    entries = await fsp.readdir(where.dir);
  } catch (err) {
    if (errno(err) === 'ENOENT') return 'missing';
    if (errno(err) === 'ENOTDIR') throw new IoError(`${where.dir} exists and is not a directory`, { path: where.dir });
    throw new IoError(`cannot read ${where.dir}: ${(err as Error).message}`, { path: where.dir });
  }
  if (entries.length === 0) return 'empty';
  return entries.includes(where.jsonName) ? 'model' : 'other';
}

/** Writes a whole file and fsyncs it before closing. */
async function writeDurable(path: string, data: string | Uint8Array): Promise<void> {
  const fh = await fsp.open(path, 'wx', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function modelJson(artifacts: tf.io.ModelArtifacts): tf.io.ModelJSON {
  if (artifacts.modelTopology === undefined || artifacts.modelTopology instanceof ArrayBuffer) {
    throw new IoError('fileHandler saves layers models only: modelTopology must be a JSON object');
  }
  const json: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.format !== undefined) json.format = artifacts.format;
  if (artifacts.generatedBy !== undefined) json.generatedBy = artifacts.generatedBy;
  if (artifacts.convertedBy !== undefined) json.convertedBy = artifacts.convertedBy;
  if (artifacts.trainingConfig !== undefined) json.trainingConfig = artifacts.trainingConfig;
  if (artifacts.userDefinedMetadata !== undefined) json.userDefinedMetadata = artifacts.userDefinedMetadata;
  if (artifacts.signature !== undefined) json.signature = artifacts.signature;
  if (artifacts.modelInitializer !== undefined) json.modelInitializer = artifacts.modelInitializer;
  if (artifacts.initializerSignature !== undefined) json.initializerSignature = artifacts.initializerSignature;
  return json;
}

/** Moves the complete model in `tmp` to `where.dir`, replacing an existing model by two renames. */
async function commit(tmp: string, where: ModelPath, state: DirState): Promise<void> {
  if (state === 'missing') {
    await fsp.rename(tmp, where.dir);
    return;
  }
  if (state === 'empty') {
    await fsp.rmdir(where.dir);
    try {
      await fsp.rename(tmp, where.dir);
    } catch (err) {
      await fsp.mkdir(where.dir).catch(() => undefined);
      throw err;
    }
    return;
  }
  // Replace: park the old model next to it, move the new one in, then delete the old one. If the second rename
  // fails the old model is moved back. A crash between the renames leaves both complete: the new one in the
  // temp directory and the old one in the `.tsbd-old-` directory, never a partial model at the target.
  const old = join(dirname(where.dir), `.${basename(where.dir)}.tsbd-old-${randomBytes(6).toString('hex')}`);
  await fsp.rename(where.dir, old);
  try {
    await fsp.rename(tmp, where.dir);
  } catch (err) {
    await fsp.rename(old, where.dir);
    throw err;
  }
  await fsp.rm(old, { recursive: true, force: true }).catch(() => undefined);
}

async function saveAtomic(where: ModelPath, force: boolean, artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  const json = modelJson(artifacts);
  const state = await dirState(where);
  if ((state === 'model' || state === 'other') && !force) {
    throw new IoError(`${where.dir} exists and is not empty; refusing to overwrite it (use force)`, { path: where.dir });
  }
  if (state === 'other') {
    throw new IoError(`${where.dir} is not empty and holds no ${where.jsonName}; refusing to replace it even with force`, {
      path: where.dir,
    });
  }
  const parent = dirname(where.dir);
  try {
    await fsp.mkdir(parent, { recursive: true });
  } catch (err) {
    throw new IoError(`cannot create ${parent}: ${(err as Error).message}`, { path: parent, op: 'write' });
  }
  let tmp: string | undefined;
  try {
    // Not mkdtemp: it creates mode 0700, and the rename below would hand the user a model folder only they can read.
    // A plain mkdir with a random name gets the user's umask, as any folder they make; 'wx'-style exclusivity comes
    // from mkdir failing on an existing name.
    tmp = join(parent, `.${basename(where.dir)}.tsbd-tmp-${randomBytes(6).toString('hex')}`);
    await fsp.mkdir(tmp);
    const weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
    await writeDurable(join(tmp, WEIGHTS_FILE), new Uint8Array(weights));
    await writeDurable(join(tmp, where.jsonName), JSON.stringify(json));
    fsyncDirSync(tmp);
    await commit(tmp, where, state);
    tmp = undefined;
    fsyncDirSync(parent);
  } catch (err) {
    if (tmp !== undefined) await fsp.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    if (err instanceof IoError) throw err;
    throw new IoError(`could not save the model to ${where.dir}: ${(err as Error).message}`, { path: where.dir, op: 'write' });
  }
  return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
}

async function readOrThrow(path: string, what: string): Promise<Buffer> {
  try {
    return await fsp.readFile(path);
  } catch (err) {
    const why = errno(err) === 'ENOENT' ? 'not found' : (err as Error).message;
    throw new IoError(`${what} ${path}: ${why}`, { path });
  }
}

function parseModelJson(text: string, path: string): tf.io.ModelJSON {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new IoError(`${path} is not valid JSON: ${(err as Error).message}`, { path });
  }
  const obj = parsed as Partial<tf.io.ModelJSON> | null;
  if (typeof obj !== 'object' || obj === null || typeof obj.modelTopology !== 'object' || !Array.isArray(obj.weightsManifest)) {
    throw new IoError(`${path} is not a layers model JSON: it needs modelTopology and weightsManifest`, { path });
  }
  return obj as tf.io.ModelJSON;
}

async function loadFrom(where: ModelPath): Promise<tf.io.ModelArtifacts> {
  const json = parseModelJson((await readOrThrow(where.json, 'cannot read model file')).toString('utf8'), where.json);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    for (const rel of group.paths) {
      const norm = normalize(rel);
      if (isAbsolute(norm) || norm === '..' || norm.startsWith(`..${sep}`)) {
        throw new IoError(`${where.json} names weights file "${rel}" outside its directory`, { path: where.json, weights: rel });
      }
      buffers.push(await readOrThrow(join(where.dir, norm), 'cannot read weights file'));
    }
    specs.push(...group.weights);
  }
  const total = buffers.reduce((n, b) => n + b.byteLength, 0);
  const data = new Uint8Array(total);
  let offset = 0;
  for (const b of buffers) {
    data.set(b, offset);
    offset += b.byteLength;
  }
  return tf.io.getModelArtifactsForJSONSync(json, specs, data.buffer);
}

/**
 * A tfjs IOHandler for the local file system (no tfjs-node needed). `path` is a model JSON path (`dir/model.json`)
 * or a directory (meaning `dir/model.json`); a leading `file://` is accepted.
 *
 * `save` writes the JSON (modelTopology, weightsManifest with paths ['weights.bin'], format, generatedBy,
 * convertedBy, and trainingConfig / userDefinedMetadata when present) and `weights.bin` atomically: everything
 * goes into a fresh temporary directory next to the target (same filesystem), is fsync'ed, then renamed into
 * place, so the target holds the old model or the complete new one, never a partial one. A non-empty target
 * directory is an IoError unless `force` is set; with `force` an existing model directory is replaced whole.
 *
 * `load` reads the JSON and every weights file its manifest names (relative to the JSON) and returns the
 * artifacts; a missing file is an IoError naming its path.
 */
export function fileHandler(path: string, opts: FileHandlerOptions = {}): tf.io.IOHandler {
  const where = resolveModelPath(path);
  const force = opts.force === true;
  return {
    save: (artifacts: tf.io.ModelArtifacts) => saveAtomic(where, force, artifacts),
    load: () => loadFrom(where),
  };
}

/**
 * Saves `model` (topology and weights, not the optimizer) to `path` atomically; see `fileHandler`.
 * The model stays owned by the caller.
 * @throws IoError when the target exists and `force` is off, or the write fails (nothing is left half-written).
 */
export function saveModel(model: tfl.LayersModel, path: string, opts: FileHandlerOptions = {}): Promise<tf.io.SaveResult> {
  return model.save(fileHandler(path, opts));
}

/**
 * Loads a layers model saved by `saveModel` or by tfjs (`model.json` plus weight shards).
 * @returns a new model; the caller owns it and calls `dispose()` when done.
 * @throws IoError naming a missing or unreadable file.
 */
export function loadModel(path: string): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(fileHandler(path));
}
