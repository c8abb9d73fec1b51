import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { decodeImage, sniffCodec } from '../../src/data/decode_image';
import { DataShapeError } from '../../src/errors';
import { writeJpeg, writePng, writePpm } from '../helpers/image_files';

describe('decodeImage', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'tsbd-decode-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // pixel (r, c) of a 3-wide, 2-high image: R = 10r + c, G = 100 + c, B = 250 - r
  const color = (r: number, c: number): [number, number, number] => [10 * r + c, 100 + c, 250 - r];
  const expected = Uint8Array.from([0, 100, 250, 1, 101, 250, 2, 102, 250, 10, 100, 249, 11, 101, 249, 12, 102, 249]);

  it('reads a PNG to RGB bytes, row-major', () => {
    writePng(join(dir, 'a.png'), 3, 2, color);
    expect(decodeImage(readFileSync(join(dir, 'a.png')), 'a.png')).toEqual({ width: 3, height: 2, rgb: expected });
  });

  it('expands a greyscale PNG to R = G = B and drops the alpha of an RGBA one', () => {
    const grey = new PNG({ width: 2, height: 1 });
    grey.data = Buffer.from([10, 10, 10, 255, 200, 200, 200, 255]);
    const g = PNG.sync.write(grey, { colorType: 0 });
    expect(g[25]).toBe(0); // IHDR colour type 0: greyscale
    expect(Array.from(decodeImage(g, 'g.png').rgb)).toEqual([10, 10, 10, 200, 200, 200]);
    const rgba = new PNG({ width: 1, height: 1 });
    rgba.data = Buffer.from([1, 2, 3, 4]);
    expect(Array.from(decodeImage(PNG.sync.write(rgba, { colorType: 6 }), 'a.png').rgb)).toEqual([1, 2, 3]);
  });

  it('reads a hand-written binary PPM', () => {
    writePpm(join(dir, 'a.ppm'), 3, 2, color);
    expect(decodeImage(readFileSync(join(dir, 'a.ppm')), 'a.ppm')).toEqual({ width: 3, height: 2, rgb: expected });
  });

  it('reads a JPEG (by its magic, whatever the name) within the codec loss on flat colours', () => {
    // two 8x8 blocks side by side: left (200, 30, 60), right (20, 180, 90); quality 100
    writeJpeg(join(dir, 'b.png'), 16, 8, (_r, c) => (c < 8 ? [200, 30, 60] : [20, 180, 90]));
    const img = decodeImage(readFileSync(join(dir, 'b.png')), 'b.png');
    expect([img.width, img.height]).toEqual([16, 8]);
    for (const [px, want] of [
      [2 * 16 + 3, [200, 30, 60]],
      [5 * 16 + 12, [20, 180, 90]],
    ] as const) {
      for (let k = 0; k < 3; k++) expect(Math.abs((img.rgb[px * 3 + k] as number) - (want[k] as number))).toBeLessThanOrEqual(4);
    }
  });

  it('names an unknown container and a corrupt file', () => {
    expect(sniffCodec(Uint8Array.from([0x42, 0x4d, 0, 0]))).toBeUndefined(); // BMP
    expect(() => decodeImage(Uint8Array.from([0x42, 0x4d, 0, 0]), 'x.bmp')).toThrow(/x.bmp: not a PNG, JPEG or binary PPM \(P6\) image \(first bytes 0x42 0x4d 0x00 0x00\)/);
    const png = readFileSync(join(dir, 'a.png'));
    expect(() => decodeImage(png.subarray(0, 30), 'cut.png')).toThrow(DataShapeError);
    expect(() => decodeImage(Buffer.from('P6\n3 2\n255\nabc'), 'cut.ppm')).toThrow(/cut.ppm: cannot decode this PPM file/);
  });
});
