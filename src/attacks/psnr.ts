import type { ImageSet } from '../data/image_set';
import { DataShapeError } from '../errors';

/**
 * Mean peak signal-to-noise ratio of `stamped` against `clean`, in dB: per image 10 log10(255^2 / MSE) over all its
 * pixel values, averaged over the images the trigger changed (an unchanged image has no finite PSNR and is left out;
 * Infinity when none changed). Higher is less visible; BackdoorBench reports the same per-image mean.
 */
export function meanPsnr(clean: ImageSet, stamped: ImageSet): number {
  if (clean.images.length !== stamped.images.length || clean.count !== stamped.count) {
    throw new DataShapeError(`PSNR needs two sets of the same size; received ${clean.count} and ${stamped.count} images`, {
      clean: clean.count,
      stamped: stamped.count,
    });
  }
  const per = clean.height * clean.width * clean.channels;
  let sum = 0;
  let changed = 0;
  for (let i = 0; i < clean.count; i++) {
    let se = 0;
    for (let j = i * per; j < (i + 1) * per; j++) {
      const d = (clean.images[j] as number) - (stamped.images[j] as number);
      se += d * d;
    }
    if (se > 0) {
      sum += 10 * Math.log10((255 * 255) / (se / per));
      changed++;
    }
  }
  return changed === 0 ? Infinity : sum / changed;
}
