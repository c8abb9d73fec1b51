import * as tf from '@tensorflow/tfjs-core';
import { DataShapeError } from '../errors';

/**
 * Bilinear resampling of `images` [n, h, w, c] at the points of `grid` [n or 1, oh, ow, 2], built from tfjs ops
 * (tfjs has no grid_sample). As PyTorch's `grid_sample(mode='bilinear', padding_mode='zeros', align_corners=True)`:
 * grid[..., 0] is x (column) and grid[..., 1] is y (row), both normalised so that -1 is the centre of the first
 * pixel and +1 the centre of the last; a neighbour outside the image counts as 0.
 * Returns a new float32 tensor [n, oh, ow, c]; the caller disposes it.
 */
export function gridSample(images: tf.Tensor4D, grid: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = images.shape;
  const [gn, oh, ow, two] = grid.shape;
  if (two !== 2 || (gn !== 1 && gn !== n)) {
    throw new DataShapeError(`grid must be [1 or ${n}, oh, ow, 2] for ${n} images; received [${grid.shape.join(', ')}]`, { grid: grid.shape });
  }
  return tf.tidy(() => {
    const g = gn === n ? grid : tf.broadcastTo(grid, [n, oh, ow, 2]);
    const [gx, gy] = tf.unstack(g, 3) as [tf.Tensor3D, tf.Tensor3D];
    const x: tf.Tensor3D = tf.mul(tf.add(gx, 1), (w - 1) / 2);
    const y: tf.Tensor3D = tf.mul(tf.add(gy, 1), (h - 1) / 2);
    const x0 = tf.floor(x);
    const y0 = tf.floor(y);
    const fx: tf.Tensor3D = tf.sub(x, x0);
    const fy: tf.Tensor3D = tf.sub(y, y0);
    const flat = tf.reshape(tf.cast(images, 'float32'), [n * h * w, c]);
    const base = tf.reshape(tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(h * w, 'int32')), [n, 1, 1]);
    const corner = (yy: tf.Tensor3D, xx: tf.Tensor3D, weight: tf.Tensor3D): tf.Tensor4D => {
      const inside = tf.logicalAnd(tf.logicalAnd(tf.greaterEqual(xx, 0), tf.lessEqual(xx, w - 1)), tf.logicalAnd(tf.greaterEqual(yy, 0), tf.lessEqual(yy, h - 1)));
      const xi = tf.cast(tf.clipByValue(xx, 0, w - 1), 'int32');
      const yi = tf.cast(tf.clipByValue(yy, 0, h - 1), 'int32');
      const index = tf.reshape(tf.add(base, tf.add(tf.mul(yi, tf.scalar(w, 'int32')), xi)), [-1]);
      const values = tf.reshape(tf.gather(flat, index), [n, oh, ow, c]);
      return tf.mul(values, tf.expandDims(tf.mul(weight, tf.cast(inside, 'float32')), 3));
    };
    const x1: tf.Tensor3D = tf.add(x0, 1);
    const y1: tf.Tensor3D = tf.add(y0, 1);
    const one = (t: tf.Tensor3D): tf.Tensor3D => tf.sub(1, t);
    return tf.addN([
      corner(y0, x0, tf.mul(one(fy), one(fx))),
      corner(y0, x1, tf.mul(one(fy), fx)),
      corner(y1, x0, tf.mul(fy, one(fx))),
      corner(y1, x1, tf.mul(fy, fx)),
    ]);
  });
}
