import * as tf from '@tensorflow/tfjs-core';
import { gridSample } from '../../src/attacks/grid_sample';
import { DataShapeError } from '../../src/errors';
import { expectNoLeak } from '../helpers/leak';

// The image [[0, 10, 20], [30, 40, 50]]: with aligned corners x = -1, 0, 1 are columns 0, 1, 2 and y = -1, 1 rows 0, 1.
const image = (): tf.Tensor4D => tf.tensor4d([0, 10, 20, 30, 40, 50], [1, 2, 3, 1]);

describe('gridSample (bilinear, zeros padding, aligned corners)', () => {
  it('matches hand-computed pixels', () => {
    // (x, y) -> (col, row): (-1, -1) -> (0, 0) = 0; (0, 0) -> (1, 0.5) = (10 + 40) / 2 = 25;
    // (0.5, 1) -> (1.5, 1) = (40 + 50) / 2 = 45; (-0.5, -0.5) -> (0.5, 0.25) = 0.75 * 5 + 0.25 * 35 = 12.5;
    // (1.5, -1) -> (2.5, 0): half of pixel 20, half of the zero outside = 10; (1, 1) -> (2, 1) = 50
    const grid = tf.tensor4d([-1, -1, 0, 0, 0.5, 1, -0.5, -0.5, 1.5, -1, 1, 1], [1, 1, 6, 2]);
    const out = tf.tidy(() => gridSample(image(), grid));
    expect(out.shape).toEqual([1, 1, 6, 1]);
    const got = Array.from(out.dataSync());
    [0, 25, 45, 12.5, 10, 50].forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    tf.dispose([out, grid]);
  });

  it('samples every channel at the same point, and shares a one-image grid across the batch', () => {
    // two 1x2 RGB images; the point x = 0 is halfway between the two pixels
    const images = tf.tensor4d([0, 10, 100, 20, 30, 200, 1, 1, 1, 3, 5, 7], [2, 1, 2, 3]);
    const grid = tf.tensor4d([0, 0], [1, 1, 1, 2]);
    const out = tf.tidy(() => gridSample(images, grid));
    expect(out.shape).toEqual([2, 1, 1, 3]);
    expect(Array.from(out.dataSync())).toEqual([10, 20, 150, 2, 3, 4]);
    tf.dispose([out, images, grid]);
  });

  it('the identity grid gives the image back; a wrong grid shape is refused; nothing leaks', async () => {
    const img = image();
    const identity = tf.tensor4d([-1, -1, 0, -1, 1, -1, -1, 1, 0, 1, 1, 1], [1, 2, 3, 2]);
    const out = gridSample(img, identity);
    expect(Array.from(out.dataSync())).toEqual([0, 10, 20, 30, 40, 50]);
    out.dispose();
    const bad = tf.zeros([1, 2, 3, 3]) as tf.Tensor4D;
    expect(() => gridSample(img, bad)).toThrow(DataShapeError);
    await expectNoLeak(() => gridSample(img, identity).dispose());
    tf.dispose([img, identity, bad]);
  });
});
