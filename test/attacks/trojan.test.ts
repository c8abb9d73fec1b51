import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createAttack } from '../../src/attacks/registry';
import { Trojan, trojan } from '../../src/attacks/trojan';
import { ConfigError, ModelError } from '../../src/errors';
import { expectNoLeak } from '../helpers/leak';
import { flatSet, oneImage } from './fixtures';

/**
 * 3x3 grey input -> 3 linear feature neurons -> 2-class Dense head, weights set by hand. Feature 0 = +pixel (2, 2),
 * feature 1 = -pixel (2, 2) (both under a 1x1 bottom-right patch), feature 2 = pixel (0, 0) (out of its reach).
 * `toTarget` are the head's weights from features 0, 1, 2 into class 0.
 */
function handModel(toTarget: [number, number, number]): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.flatten({ inputShape: [3, 3, 1] }));
  m.add(tfl.layers.dense({ units: 3, useBias: false }));
  m.add(tfl.layers.dense({ units: 2, useBias: false }));
  const k1 = new Array(27).fill(0);
  k1[8 * 3 + 0] = 1; // pixel 8 = (2, 2) -> feature 0
  k1[8 * 3 + 1] = -1; // -> feature 1
  k1[0 * 3 + 2] = 1; // pixel 0 = (0, 0) -> feature 2
  m.layers[1]?.setWeights([tf.tensor2d(k1, [9, 3])]);
  m.layers[2]?.setWeights([tf.tensor2d([toTarget[0], 0, toTarget[1], 0, toTarget[2], 0], [3, 2])]);
  return m;
}

describe('Trojan (Liu et al. 2018)', () => {
  it('stamps its patch bottom-right: golden pixels from a given patch', () => {
    const a = new Trojan({ patchSize: 2 }, { patch: { bytes: Uint8Array.from([9, 8, 7, 6]), dtype: 'uint8', shape: [2, 2, 1] } });
    expect(Array.from(a.applyTrigger(oneImage([1, 1, 1, 1, 1, 1, 1, 1, 1], 3, 3)).images)).toEqual([1, 1, 1, 1, 9, 8, 1, 7, 6]);
  });

  it('optimises the patch to excite the reachable neuron with the largest weight into the target', () => {
    const clean = flatSet(40, 3, 3, 100, 2);
    // feature 2 has the largest weight (5) but the patch cannot reach it; feature 0 (weight 2) wants a bright pixel
    const up = handModel([2, 1, 5]);
    const a = trojan({ patchSize: 1, neurons: 1 });
    a.prepare(up, clean);
    // gradient ascent drives the patch pixel to white; Adam's steps shrink with sigmoid's slope, so it ends near, not at, 255
    expect(a.assets(3, 3, 1).patch?.bytes[0]).toBeGreaterThan(240);
    // feature 1 (weight 3 > 2) wants a dark pixel
    const down = handModel([2, 3, 5]);
    const b = trojan({ patchSize: 1, neurons: 1 });
    b.prepare(down, clean);
    expect(b.assets(3, 3, 1).patch?.bytes[0]).toBeLessThan(15);
    up.dispose();
    down.dispose();
  });

  it('frees every tensor it makes, refuses to stamp before prepare, and round-trips through its asset', async () => {
    const model = handModel([2, 1, 5]);
    const clean = flatSet(40, 3, 3, 100, 2);
    const a = trojan({ patchSize: 2, neurons: 1, steps: 5 });
    await expectNoLeak(() => a.prepare(model, clean));
    expect(() => trojan().applyTrigger(clean)).toThrow(/trojan has no patch yet/);
    const b = createAttack(JSON.parse(JSON.stringify(a.config())) as { name: string }, a.assets(3, 3, 1));
    expect(b.applyTrigger(clean).images).toEqual(a.applyTrigger(clean).images);
    expect(() => trojan({ neurons: 0 })).toThrow(ConfigError);
    expect(() => trojan({ patchSize: 1 }).prepare(model, flatSet(10, 3, 3, 0, 2))).toThrow(/optimises on 32 clean images; received 10/);
    const noHead = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [3, 3, 1] })] });
    expect(() => trojan({ patchSize: 1 }).prepare(noHead, clean)).toThrow(ModelError);
    model.dispose();
    noHead.dispose();
  });
});
