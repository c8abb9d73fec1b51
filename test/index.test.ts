import * as tf from '@tensorflow/tfjs-core';

import * as root from '../src';
import { GradNormOptimizer } from '../src/optimizers/grad_norm';

// The root entry is the supported API (issue 14): this list changes only by decision, with the README and docs.
describe('the root entry', () => {
  it('exports exactly the public surface', () => {
    expect(Object.keys(root).sort()).toEqual(
      [
        'ConfigError', 'DataShapeError', 'GradNormOptimizer', 'IoError', 'ModelError', 'TsbdEmitter', 'TsbdError',
        'TsbdFinetune', 'attacks', 'backend', 'callbacks', 'chooseReinitFraction', 'cleanSet', 'data',
        'disposeOptimizer', 'getDefense', 'hooks', 'listDefenses', 'losses', 'metrics', 'models', 'purify',
        'registerDefense', 'train', 'tsbdFinetune',
      ].sort(),
    );
    const names = (ns: object): string[] => Object.keys(ns).sort();
    expect(names(root.backend)).toEqual(['registerTrainingKernels', 'selectBackend']);
    expect(names(root.callbacks)).toEqual([
      'BatchNormRecalibration', 'CosineDecay', 'ExtrapolateAway', 'HeadShift', 'NwcReinit', 'UnlearningStop', 'applyReinit',
      'batchNormRecalibration', 'cosineDecay', 'extrapolateAway', 'headShift', 'nwcReinit', 'reinitMask', 'unlearningStop',
    ]);
    expect(names(root.data)).toEqual(['subset', 'toTensors', 'validateImageSet']);
    expect(names(root.hooks)).toEqual([
      'ActivenessMonitor', 'NwcScores', 'WeightSnapshot', 'activenessMonitor', 'invertTrigger', 'nwcScores', 'weightSnapshot',
    ]);
    expect(names(root.losses)).toEqual(['unlearningLoss']);
    expect(names(root.metrics)).toEqual(['der', 'evaluate', 'predictLabels', 'retuneAttack']);
    expect(names(root.models)).toEqual(['buildModel', 'cloneModel', 'hasWidth', 'listArchs', 'withOnlyHeadTrainable']);
    expect(names(root.train)).toEqual(['gradNorm']);
    // Every attack as class + factory, and the registry.
    expect(names(root.attacks)).toEqual([
      'BadNets', 'Blended', 'InputAware', 'LowFrequency', 'Sig', 'Ssba', 'Trojan', 'WaNet', 'attackSpec', 'badNets',
      'blended', 'createAttack', 'gridSample', 'inputAware', 'listAttacks', 'lowFrequency', 'sig', 'ssba', 'trojan',
      'waNet',
    ]);
  });

  it('names the optimizer wrapper as tfjs names optimizers: train.gradNorm makes a GradNormOptimizer', () => {
    expect('regularizers' in root).toBe(false);
    expect(root.GradNormOptimizer).toBe(GradNormOptimizer);
    const inner = tf.train.sgd(0.1);
    const opt = root.train.gradNorm(inner, { rho: 0.1 });
    expect(opt).toBeInstanceOf(GradNormOptimizer);
    expect(opt).toBeInstanceOf(tf.Optimizer);
    expect(opt.inner).toBe(inner);
    expect(opt.rho).toBe(0.1);
    opt.dispose();
    inner.dispose();
  });
});
