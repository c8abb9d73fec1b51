import { ConfigError, DataShapeError } from '../errors';
import type { AttackAsset } from './attack';

/** What an attack's assets must be for one image shape: name -> dtype and shape. */
export type AssetLayout = Record<string, { dtype: AttackAsset['dtype']; shape: number[] }>;

/**
 * Holds an attack's generated assets for the image shape in use. Made on first use by `make` (deterministic from
 * the attack's config), or fixed to the assets an attack was re-created from; those are checked against the layout
 * and refuse images of another shape.
 */
export class AssetStore {
  private key = '';
  private current: Record<string, AttackAsset> | undefined;
  private readonly fixed: boolean;

  constructor(
    private readonly attack: string,
    private readonly layout: (h: number, w: number, c: number) => AssetLayout,
    private readonly make: (h: number, w: number, c: number) => Record<string, AttackAsset>,
    given?: Record<string, AttackAsset>,
  ) {
    this.fixed = given !== undefined;
    if (given !== undefined) {
      for (const [name, a] of Object.entries(given)) {
        const bytesPer = a.dtype === 'float32' ? 4 : 1;
        const size = a.shape.reduce((p, d) => p * d, 1) * bytesPer;
        if (a.bytes.length !== size) {
          throw new ConfigError(`${attack} asset '${name}' holds ${a.bytes.length} bytes; its shape [${a.shape.join(', ')}] of ${a.dtype} needs ${size}`, {
            asset: name,
          });
        }
      }
      this.current = given;
    }
  }

  /** The assets for images of height x width x channels. Returned objects are shared: do not modify their bytes. */
  get(h: number, w: number, c: number): Record<string, AttackAsset> {
    const want = this.layout(h, w, c);
    if (this.fixed) {
      const have = this.current ?? {};
      for (const [name, l] of Object.entries(want)) {
        const a = have[name];
        if (a === undefined) throw new ConfigError(`${this.attack} needs the asset '${name}', which was not given`, { asset: name });
        if (a.dtype !== l.dtype || a.shape.join('x') !== l.shape.join('x')) {
          throw new DataShapeError(
            `${this.attack} asset '${name}' is ${a.dtype} [${a.shape.join(', ')}]; ${h}x${w}x${c} images need ${l.dtype} [${l.shape.join(', ')}]`,
            { asset: name },
          );
        }
      }
      return have;
    }
    const key = `${h}x${w}x${c}`;
    if (this.current === undefined || this.key !== key) {
      this.current = this.make(h, w, c);
      this.key = key;
    }
    return this.current;
  }
}

/** Float32 values as a little-endian asset (the byte order is fixed so that files read the same on every machine). */
export function floatAsset(values: Float32Array, shape: number[]): AttackAsset {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { bytes, dtype: 'float32', shape };
}

/** The values of a float32 asset (little-endian bytes). */
export function assetFloats(asset: AttackAsset): Float32Array {
  const view = new DataView(asset.bytes.buffer, asset.bytes.byteOffset, asset.bytes.byteLength);
  return Float32Array.from({ length: asset.bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
}
