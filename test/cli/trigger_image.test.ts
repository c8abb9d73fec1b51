import { PNG } from 'pngjs';
import { encodePng, triggerPanels } from '../../src/cli/trigger_image';
import type { ImageSet } from '../../src/data/image_set';

const grey = (values: number[]): ImageSet => ({ images: Uint8Array.from(values), labels: Uint8Array.from([0]), count: 1, height: 1, width: 2, channels: 1, numClasses: 2 });

describe('trigger PNG: clean | stamped | amplified difference', () => {
  it('lays the three panels side by side with a 2-pixel black gap; the difference is scaled so its largest value is 255', () => {
    // clean [10, 100], stamped [30, 90]: |diff| [20, 10] -> [255, round(127.5) = 128]
    const img = triggerPanels(grey([10, 100]), grey([30, 90]), 0, 1);
    expect([img.width, img.height]).toEqual([3 * 2 + 2 * 2, 1]);
    const red = Array.from({ length: img.width }, (_, x) => img.rgba[x * 4]);
    expect(red).toEqual([10, 100, 0, 0, 30, 90, 0, 0, 255, 128]);
    expect(Array.from(img.rgba.subarray(0, 4))).toEqual([10, 10, 10, 255]); // grey drawn grey, opaque
  });

  it('repeats each pixel scale x scale times and encodes a PNG that decodes to the same pixels', () => {
    const img = triggerPanels(grey([10, 100]), grey([30, 90]), 0, 3);
    expect([img.width, img.height]).toEqual([30, 3]);
    const back = PNG.sync.read(Buffer.from(encodePng(img)));
    expect([back.width, back.height]).toEqual([30, 3]);
    expect(Buffer.compare(back.data, Buffer.from(img.rgba))).toBe(0);
    expect(back.data[(2 * 30 + 14) * 4]).toBe(30); // row 2, column 14: stamped panel (starts at 12), pixel 0
  });

  it('draws RGB images in colour and refuses an image index out of range', () => {
    const rgb: ImageSet = { images: Uint8Array.from([1, 2, 3]), labels: Uint8Array.from([0]), count: 1, height: 1, width: 1, channels: 3, numClasses: 2 };
    const img = triggerPanels(rgb, rgb, 0, 1);
    expect(Array.from(img.rgba.subarray(0, 4))).toEqual([1, 2, 3, 255]);
    expect(() => triggerPanels(rgb, rgb, 1, 1)).toThrow(/image 1 is not in the set \(0..0\)/);
  });
});
