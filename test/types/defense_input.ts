// Type-only checks (tsc --noEmit via `npm run typecheck`): nothing poisoned or from a test split reaches a defense.
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Attack } from '../../src/attacks/attack';
import type { ImageSet } from '../../src/data/image_set';
import { cleanSet, type Defense } from '../../src/defenses/defense';

declare const defense: Defense;
declare const model: tfl.LayersModel;
declare const trainSplit: ImageSet;
declare const attack: Attack;

// A plain ImageSet, such as an attack's poisoned set, is not a CleanSet: the caller must declare it clean.
// @ts-expect-error an ImageSet is not a CleanSet
void defense.run(model, attack.poison(trainSplit).set);
// Options are scalars: no image set can travel through them.
// @ts-expect-error an ImageSet is not an option value
void defense.run(model, cleanSet(trainSplit), { poisoned: attack.applyTrigger(trainSplit) });
// The context has no data field.
// @ts-expect-error no test or poisoned data in the context
void defense.run(model, cleanSet(trainSplit), {}, { test: trainSplit });
// What the defender holds, declared clean, is accepted.
void defense.run(model, cleanSet(trainSplit), { epochs: 2 }, { seed: 1 });
