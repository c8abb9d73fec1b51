import PortablePixmap from '@fitbit/portable-pixmap';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

import { DataShapeError } from '../errors';
import type { RgbImage } from './rgb_image';

/** The container of an encoded image, told by its first bytes. */
export type ImageCodec = 'png' | 'jpeg' | 'ppm';

/** Names the codec of `bytes` by its magic number (PNG 0x89 'PNG', JPEG 0xff 0xd8, binary PPM 'P6'), if known. */
export function sniffCodec(bytes: Uint8Array): ImageCodec | undefined {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'jpeg';
  if (bytes[0] === 0x50 && bytes[1] === 0x36) return 'ppm';
  return undefined;
}

/** Keeps R, G, B of each RGBA pixel. */
function dropAlpha(rgba: ArrayLike<number>, pixels: number): Uint8Array {
  const rgb = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    rgb[3 * p] = rgba[4 * p] as number;
    rgb[3 * p + 1] = rgba[4 * p + 1] as number;
    rgb[3 * p + 2] = rgba[4 * p + 2] as number;
  }
  return rgb;
}

/**
 * Decodes a PNG (pngjs), baseline/progressive JPEG (jpeg-js) or binary PPM (@fitbit/portable-pixmap) file to 8-bit
 * RGB. The codec is told by the magic number, not the file name. PNG alpha is dropped (not composited); 16-bit PNG
 * and PPM samples are scaled to 8 bits by the decoders. `what` names the file in errors.
 * @throws DataShapeError naming `what` for an unknown container or a corrupt file.
 */
export function decodeImage(bytes: Uint8Array, what: string): RgbImage {
  const codec = sniffCodec(bytes);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (codec === 'png') {
      const png = PNG.sync.read(buffer);
      return { width: png.width, height: png.height, rgb: dropAlpha(png.data, png.width * png.height) };
    }
    if (codec === 'jpeg') {
      const img = jpeg.decode(buffer, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
      return { width: img.width, height: img.height, rgb: dropAlpha(img.data, img.width * img.height) };
    }
    if (codec === 'ppm') {
      const ppm = PortablePixmap.parse(buffer);
      return { width: ppm.width, height: ppm.height, rgb: dropAlpha(ppm.toRGBA8888(), ppm.width * ppm.height) };
    }
  } catch (e) {
    throw new DataShapeError(`${what}: cannot decode this ${codec?.toUpperCase() ?? ''} file (${(e as Error).message})`, { path: what, codec });
  }
  const head = Array.from(bytes.subarray(0, 4), (b) => `0x${b.toString(16).padStart(2, '0')}`).join(' ');
  throw new DataShapeError(`${what}: not a PNG, JPEG or binary PPM (P6) image (first bytes ${head || 'none'})`, { path: what });
}
