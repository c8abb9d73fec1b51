import * as tf from '@tensorflow/tfjs-core';
import { nwcScores } from '../../src/hooks/nwc';
import { scorableKernels } from '../../src/hooks/scorable_layers';
import { weightSnapshot } from '../../src/hooks/weight_snapshot';
import { buildModel, hasWidth, listArchs } from '../../src/models';

const names = (arch: Parameters<typeof buildModel>[0], includeShortcuts = false, selection: 'conv' | 'auto' = 'conv'): string[] => {
  const model = buildModel(arch, { inputShape: [16, 16, 3], numClasses: 3, ...(hasWidth(arch) ? { width: 2 } : {}) });
  try {
    return scorableKernels(model, selection, { includeShortcuts }).map((k) => k.layerName);
  } finally {
    model.dispose();
  }
};

describe('scorable layers of each architecture, decided by role', () => {
  it('preact-resnet18: every 3x3 conv; the three projection shortcuts only when asked', () => {
    const blocks = ['s1b1', 's1b2', 's2b1', 's2b2', 's3b1', 's3b2', 's4b1', 's4b2'].flatMap((b) => [`${b}_conv1`, `${b}_conv2`]);
    expect(names('preact-resnet18')).toEqual(['stem_conv', ...blocks]);
    const all = names('preact-resnet18', true);
    expect(all.filter((n) => n.endsWith('_shortcut')).sort()).toEqual(['s2b1_shortcut', 's3b1_shortcut', 's4b1_shortcut']);
    expect(all).toHaveLength(20);
  });

  it('preact-resnet-s: the same rule skips b2 and b3 shortcuts, as the shape rule did', () => {
    expect(names('preact-resnet-s')).toEqual(['stem_conv', 'b1_conv1', 'b1_conv2', 'b2_conv1', 'b2_conv2', 'b3_conv1', 'b3_conv2']);
  });

  it('mobilenet-s: the depthwise and the 1x1 pointwise layers of every block are scored', () => {
    const blocks = [1, 2, 3, 4, 5].flatMap((b) => [`b${b}_dw`, `b${b}_pw`]);
    expect(names('mobilenet-s')).toEqual(['stem_conv', ...blocks]);
  });

  it('vgg-s: six convs, and the hidden Dense under auto', () => {
    const convs = ['s1_conv1', 's1_conv2', 's2_conv1', 's2_conv2', 's3_conv1', 's3_conv2'];
    expect(names('vgg-s')).toEqual(convs);
    expect(names('vgg-s', false, 'auto')).toEqual([...convs, 'hidden']);
  });

  it.each(listArchs())('%s: NWC ranks first the neuron whose incoming weights were changed most, no tensor left', (arch) => {
    const model = buildModel(arch, { inputShape: [16, 16, 3], numClasses: 3, ...(hasWidth(arch) ? { width: 2 } : {}) });
    try {
      const before = tf.memory().numTensors;
      const snap = weightSnapshot(model);
      // the last scored kernel (a pointwise conv in mobilenet-s): add 1 to every incoming weight of its neuron 1
      const k = scorableKernels(model).at(-1);
      if (k === undefined) throw new Error('no scorable kernel');
      const n = k.numNeurons;
      const bump = tf.tidy(() => tf.add(k.variable.read(), tf.reshape(tf.tensor1d(Array.from({ length: k.shape.reduce((a, b) => a * b, 1) }, (_, i) => (i % n === 1 ? 1 : 0))), k.shape)));
      k.variable.write(bump);
      const scores = nwcScores(snap, model);
      snap.dispose();
      bump.dispose();
      expect(tf.memory().numTensors).toBe(before);
      const top = scores.ranking[0];
      expect([top?.layer, top?.neuron]).toEqual([k.layerName, 1]);
      // its score is the number of incoming weights, each changed by exactly 1
      expect(top?.score).toBeCloseTo(k.shape.reduce((a, b) => a * b, 1) / n, 4);
    } finally {
      model.dispose();
    }
  });
});
