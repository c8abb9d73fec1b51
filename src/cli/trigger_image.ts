import { PNG } from 'pngjs';
import type { ImageSet } from '../data/image_set';
import { DataShapeError } from '../errors';

/** Gap between panels, in output pixels (black). */
const GAP = 2;

/**
 * Image `index` of `clean` and of `stamped`, and their absolute difference amplified so that the largest one is 255
 * (all black when the trigger changed nothing), side by side, each pixel repeated `scale` x `scale` times.
 * Grey images are drawn grey; 3-channel ones as RGB. Returns RGBA bytes, row-major.
 */
export function triggerPanels(clean: ImageSet, stamped: ImageSet, index: number, scale: number): { width: number; height: number; rgba: Uint8Array } {
  const { height: h, width: w, channels: c } = clean;
  if (c !== 1 && c !== 3) throw new DataShapeError(`can draw 1- or 3-channel images; these have ${c}`, { channels: c });
  if (index < 0 || index >= clean.count) throw new DataShapeError(`image ${index} is not in the set (0..${clean.count - 1})`, { index });
  const per = h * w * c;
  const a = clean.images.subarray(index * per, (index + 1) * per);
  const b = stamped.images.subarray(index * per, (index + 1) * per);
  const diff = Uint8Array.from(a, (v, j) => Math.abs(v - (b[j] as number)));
  const peak = diff.reduce((m, v) => Math.max(m, v), 0);
  const amplified = Uint8Array.from(diff, (v) => (peak === 0 ? 0 : Math.round((v * 255) / peak)));
  const panels = [a, b, amplified];
  const width = (3 * w + 2 * GAP) * scale;
  const height = h * scale;
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      rgba[o + 3] = 255;
      const px = Math.floor(x / scale);
      const p = Math.floor(px / (w + GAP));
      const col = px - p * (w + GAP);
      if (col >= w) continue;
      const src = panels[p] as Uint8Array;
      const at = (Math.floor(y / scale) * w + col) * c;
      for (let k = 0; k < 3; k++) rgba[o + k] = src[at + (c === 3 ? k : 0)] as number;
    }
  }
  return { width, height, rgba };
}

/** PNG file bytes (8-bit RGBA) of an image from {@link triggerPanels}, through pngjs. */
export function encodePng(image: { width: number; height: number; rgba: Uint8Array }): Uint8Array {
  const png = new PNG({ width: image.width, height: image.height });
  png.data = Buffer.from(image.rgba);
  return new Uint8Array(PNG.sync.write(png));
}
