import * as tf from '@tensorflow/tfjs-core';
import { cropImage, resizeImage } from '../../src/data/resize_image';

describe('cropImage and resizeImage', () => {
  // 4x4 image, pixel (r, c) = (16r + 4c, 0, 255 - (16r + 4c))
  const rgb = new Uint8Array(4 * 4 * 3);
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) rgb.set([16 * r + 4 * c, 0, 255 - (16 * r + 4 * c)], (r * 4 + c) * 3);
  const img = { width: 4, height: 4, rgb };

  it('crops [x1, x2) x [y1, y2)', () => {
    const out = cropImage(img, { x1: 1, y1: 2, x2: 3, y2: 3 }, 'img');
    expect(out.width).toBe(2);
    expect(out.height).toBe(1);
    // pixels (2, 1) and (2, 2): R = 36 and 40
    expect(Array.from(out.rgb)).toEqual([36, 0, 219, 40, 0, 215]);
    expect(() => cropImage(img, { x1: 1, y1: 0, x2: 5, y2: 2 }, 'img.ppm')).toThrow(/img.ppm: crop box x 1..5, y 0..2 is empty or outside the 4x4 image/);
  });

  it('halves a 4x4 image into 2x2 box averages (half-pixel centres), rounded; no tensor left', () => {
    const before = tf.memory().numTensors;
    const out = resizeImage(img, { height: 2, width: 2 });
    expect(tf.memory().numTensors).toBe(before);
    // output (0,0) samples input (0.5, 0.5): the mean of R at (0,0),(0,1),(1,0),(1,1) = (0+4+16+20)/4 = 10
    // (0,1): (8+12+24+28)/4 = 18; (1,0): (32+36+48+52)/4 = 42; (1,1): (40+44+56+60)/4 = 50; B = 255 - R
    expect(Array.from(out)).toEqual([10, 0, 245, 18, 0, 237, 42, 0, 213, 50, 0, 205]);
  });

  it('doubles a 1x2 image: half-pixel centres put the inner samples 1/4 of the way across', () => {
    const out = resizeImage({ width: 2, height: 1, rgb: Uint8Array.from([0, 0, 0, 100, 200, 40]) }, { height: 1, width: 4 });
    // output x = 0..3 samples input x = (x + 0.5)/2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1)
    expect(Array.from(out)).toEqual([0, 0, 0, 25, 50, 10, 75, 150, 30, 100, 200, 40]);
  });
});
