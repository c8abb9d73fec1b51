import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** An RGBA raster of `width` x `height` whose pixel (r, c) is `color(r, c)` = [R, G, B] (alpha 255). */
export function rgba(width: number, height: number, color: (r: number, c: number) => [number, number, number]): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const [R, G, B] = color(r, c);
      data.set([R, G, B, 255], (r * width + c) * 4);
    }
  }
  return data;
}

function put(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

/** Writes an 8-bit RGB PNG (colour type 2) with pngjs's encoder. */
export function writePng(path: string, width: number, height: number, color: (r: number, c: number) => [number, number, number]): void {
  const png = new PNG({ width, height });
  png.data = rgba(width, height, color);
  put(path, PNG.sync.write(png, { colorType: 2 }));
}

/** Writes a quality-100 JPEG with jpeg-js's encoder (lossy: decoded values may differ by a few levels). */
export function writeJpeg(path: string, width: number, height: number, color: (r: number, c: number) => [number, number, number]): void {
  put(path, jpeg.encode({ width, height, data: rgba(width, height, color) }, 100).data);
}

/** Writes a binary PPM by hand: "P6\n<w> <h>\n255\n", then R, G, B bytes per pixel, row by row. */
export function writePpm(path: string, width: number, height: number, color: (r: number, c: number) => [number, number, number]): void {
  const header = Buffer.from(`P6\n${width} ${height}\n255\n`, 'ascii');
  const raster = Buffer.alloc(width * height * 3);
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) raster.set(color(r, c), (r * width + c) * 3);
  put(path, Buffer.concat([header, raster]));
}
