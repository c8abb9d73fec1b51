import type * as tfl from '@tensorflow/tfjs-layers';

import { validateImageSet, type ImageSet } from '../data/image_set';
import { DataShapeError } from '../errors';
import { checkClassifier } from '../models/output_kind';

/**
 * Checks that `clean` can be fed to `model`: a classifier whose input is the images' height x width x channels and
 * whose output has one unit per class of the set. Throws DataShapeError or ModelError naming what differs.
 *
 * @returns the model's input shape and number of classes.
 */
export function checkCleanSetFits(model: tfl.LayersModel, clean: ImageSet): { inputShape: number[]; numClasses: number } {
  const { inputShape, numClasses } = checkClassifier(model);
  validateImageSet(clean, 'clean set');
  const dims = [clean.height, clean.width, clean.channels];
  if (dims.some((d, i) => d !== inputShape[i])) {
    throw new DataShapeError(
      `clean set images are ${dims.join('x')} but the model expects ${inputShape.join('x')}`,
      { images: dims, model: inputShape },
    );
  }
  if (clean.numClasses !== numClasses) {
    throw new DataShapeError(
      `clean set has ${clean.numClasses} classes but the model outputs ${numClasses}`,
      { data: clean.numClasses, model: numClasses },
    );
  }
  return { inputShape, numClasses };
}
