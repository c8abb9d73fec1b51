import type { ImageSet } from '../../src/data/image_set';
import { meanPsnr } from '../../src/attacks/psnr';
import { DataShapeError } from '../../src/errors';

/** Three 2x2 grey images from 12 pixel values. */
const three = (values: number[]): ImageSet => ({
  images: Uint8Array.from(values),
  labels: Uint8Array.from([0, 1, 0]),
  count: 3,
  height: 2,
  width: 2,
  channels: 1,
  numClasses: 2,
});

describe('meanPsnr', () => {
  it('is 10 log10(255^2 / MSE) per image, averaged over the images the trigger changed', () => {
    const clean = three(new Array(12).fill(0));
    // image 0: one pixel of 4 off by 1 -> MSE 0.25 -> 10 log10(65025 / 0.25) = 10 log10(260100) = 54.1514 dB;
    // image 1 unchanged (left out); image 2: every pixel 0 -> 255 -> MSE 65025 -> 0 dB. Mean (54.1514 + 0) / 2
    expect(meanPsnr(clean, three([1, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255]))).toBeCloseTo(27.0757, 3);
    expect(meanPsnr(clean, three([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toBeCloseTo(54.1514, 3);
    expect(meanPsnr(clean, clean)).toBe(Infinity);
    expect(() => meanPsnr(clean, { ...clean, count: 2, images: new Uint8Array(8) })).toThrow(DataShapeError);
  });
});
