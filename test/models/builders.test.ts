import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

import { ConfigError } from '../../src/errors';
import { buildModel, hasWidth, listArchs, type Arch } from '../../src/models';
import { preactResnetS } from '../../src/models/preact_resnet_s';
import { smallCnn } from '../../src/models/small_cnn';
import { tfjsExamplesCnn } from '../../src/models/tfjs_examples_cnn';
import { expectNoLeak } from '../helpers/leak';

const MNIST = { inputShape: [28, 28, 1] as [number, number, number], numClasses: 10 };

function trainableCount(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
}

function weightValues(model: tfl.LayersModel): number[][] {
  return model.getWeights().map((w) => Array.from(w.dataSync()));
}

describe('preactResnetS', () => {
  it('has the hand-counted 78,042 parameters (77,562 trainable) for 28x28x1 and 10 classes', () => {
    // stem conv 3x3x1x16                                   =    144
    // block 1 (16 -> 16, stride 1, identity shortcut):
    //   BN16 (4x16) 64 + conv 3x3x16x16 2,304 + BN16 64 + conv 3x3x16x16 2,304   =  4,736
    // block 2 (16 -> 32, stride 2, 1x1 shortcut):
    //   BN16 64 + conv 3x3x16x32 4,608 + BN32 128 + conv 3x3x32x32 9,216 + 1x1x16x32 512 = 14,528
    // block 3 (32 -> 64, stride 2, 1x1 shortcut):
    //   BN32 128 + conv 3x3x32x64 18,432 + BN64 256 + conv 3x3x64x64 36,864 + 1x1x32x64 2,048 = 57,728
    // final BN64                                             =    256
    // dense 64x10 + 10                                       =    650
    // total 144 + 4,736 + 14,528 + 57,728 + 256 + 650        = 78,042
    // BN parameters: 64+64+64+128+128+256+256 = 960, half (moving mean/var) non-trainable: 480 -> 77,562 trainable
    const model = preactResnetS(MNIST);
    try {
      expect(model.countParams()).toBe(78042);
      expect(trainableCount(model)).toBe(77562);
    } finally {
      model.dispose();
    }
  });

  it('uses an identity shortcut only where shapes match, halves the spatial size at stride 2', () => {
    const model = preactResnetS(MNIST);
    try {
      const names = model.layers.map((l) => l.name);
      expect(names).not.toContain('b1_shortcut');
      expect(names).toContain('b2_shortcut');
      expect(names).toContain('b3_shortcut');
      expect(model.getLayer('b1_add').outputShape).toEqual([null, 28, 28, 16]);
      expect(model.getLayer('b2_add').outputShape).toEqual([null, 14, 14, 32]);
      expect(model.getLayer('b3_add').outputShape).toEqual([null, 7, 7, 64]);
      // the 1x1 shortcut is applied to the pre-activated input a = ReLU(BN(x)), not to x
      const shortcut = model.getLayer('b2_shortcut');
      expect(shortcut.inboundNodes[0]?.inboundLayers[0]?.name).toBe('b2_relu1');
      const convs = model.layers.filter((l) => l.getClassName() === 'Conv2D');
      expect(convs.every((l) => l.getConfig()['useBias'] === false)).toBe(true);
    } finally {
      model.dispose();
    }
  });
});

describe('smallCnn', () => {
  it('has the hand-counted 32,058 parameters for 28x28x1 and 10 classes', () => {
    // conv1 3x3x1x16 + 16    =    160   (28x28, same)
    // conv2 3x3x16x16 + 16   =  2,320
    // maxpool 2 -> 14x14
    // conv3 3x3x16x32 + 32   =  4,640
    // conv4 3x3x32x32 + 32   =  9,248   (stride 2, same -> 7x7)
    // flatten 7*7*32 = 1,568; dense 1,568x10 + 10 = 15,690
    // total 160 + 2,320 + 4,640 + 9,248 + 15,690 = 32,058
    const model = smallCnn(MNIST);
    try {
      expect(model.countParams()).toBe(32058);
      expect(trainableCount(model)).toBe(32058);
      expect(model.getLayer('flatten').outputShape).toEqual([null, 1568]);
    } finally {
      model.dispose();
    }
  });
});

describe('tfjsExamplesCnn', () => {
  it('has the hand-counted 594,922 parameters for 28x28x1 and 10 classes', () => {
    // conv 3x3x1x32 + 32   =    320 (26x26, valid)
    // conv 3x3x32x32 + 32  =  9,248 (24x24); maxpool -> 12x12
    // conv 3x3x32x64 + 64  = 18,496 (10x10)
    // conv 3x3x64x64 + 64  = 36,928 (8x8); maxpool -> 4x4x64 = 1,024
    // dense 1,024x512 + 512 = 524,800; dense 512x10 + 10 = 5,130
    // total 320 + 9,248 + 18,496 + 36,928 + 524,800 + 5,130 = 594,922
    const model = tfjsExamplesCnn(MNIST);
    try {
      expect(model.countParams()).toBe(594922);
      expect(model.getLayer('flatten').outputShape).toEqual([null, 1024]);
      expect(model.layers.filter((l) => l.getClassName() === 'Dropout').length).toBe(2);
    } finally {
      model.dispose();
    }
  });
});

/** Small widths for the archs that take one, so that every build here is quick. */
const tiny = (arch: Arch): { width?: number } => (hasWidth(arch) ? { width: 4 } : {});

describe('buildModel', () => {
  it('lists the six architectures', () => {
    expect(listArchs()).toEqual(['preact-resnet-s', 'small-cnn', 'tfjs-examples-cnn', 'vgg-s', 'preact-resnet18', 'mobilenet-s']);
  });

  it.each(listArchs())('%s maps a batch to softmax rows of numClasses that sum to 1, without leaking', async (arch) => {
    const model = buildModel(arch, { inputShape: [16, 16, 1], numClasses: 3, seed: 1, ...tiny(arch) });
    try {
      const x = tf.tidy(() => tf.reshape(tf.linspace(0, 1, 2 * 16 * 16), [2, 16, 16, 1]));
      const y = model.predict(x) as tf.Tensor;
      expect(y.shape).toEqual([2, 3]);
      const s = tf.sum(y, 1);
      const rows = await s.array();
      s.dispose();
      tf.dispose([x, y]);
      expect((rows as number[])[0]).toBeCloseTo(1, 5);
      expect((rows as number[])[1]).toBeCloseTo(1, 5);
      await expectNoLeak(() => {
        tf.tidy(() => {
          model.predict(tf.ones([1, 16, 16, 1]));
        });
      });
    } finally {
      model.dispose();
    }
  });

  it.each(listArchs())('%s: the same seed gives identical weights, another seed different kernels', (arch) => {
    const args = { inputShape: [16, 16, 1] as [number, number, number], numClasses: 3, ...tiny(arch) };
    const a = buildModel(arch, { ...args, seed: 7 });
    const b = buildModel(arch, { ...args, seed: 7 });
    const c = buildModel(arch, { ...args, seed: 8 });
    const d = buildModel(arch, args);
    const e = buildModel(arch, { ...args, seed: 0 });
    try {
      expect(weightValues(b)).toEqual(weightValues(a));
      expect(weightValues(e)).toEqual(weightValues(d)); // seed defaults to 0
      const ka = a.getWeights()[0]?.dataSync();
      const kc = c.getWeights()[0]?.dataSync();
      expect(Array.from(kc ?? [])).not.toEqual(Array.from(ka ?? []));
      // every kernel has its own seed: no two same-shaped kernels hold the same values
      const kernels = a.weights.filter((w) => w.originalName.endsWith('kernel'));
      const seen = new Set(kernels.map((w) => w.read().dataSync().slice(0, 8).join(',')));
      expect(seen.size).toBe(kernels.length);
    } finally {
      [a, b, c, d, e].forEach((m) => m.dispose());
    }
  });

  it('rejects an unknown arch, listing the known ones', () => {
    expect(() => buildModel('resnet50' as never, MNIST)).toThrow(ConfigError);
    expect(() => buildModel('resnet50' as never, MNIST)).toThrow(/preact-resnet-s, small-cnn, tfjs-examples-cnn, vgg-s, preact-resnet18, mobilenet-s; received "resnet50"/);
  });

  it('rejects bad args with expected vs received', () => {
    expect(() => buildModel('small-cnn', { inputShape: [28, 28] as never, numClasses: 10 })).toThrow(/inputShape must be .*received \[28,28\]/);
    expect(() => buildModel('small-cnn', { ...MNIST, numClasses: 1 })).toThrow(/numClasses must be an integer in \[2, .*received 1/);
    expect(() => buildModel('small-cnn', { ...MNIST, seed: 1.5 })).toThrow(ConfigError);
    expect(() => buildModel('tfjs-examples-cnn', { inputShape: [12, 12, 1], numClasses: 10 })).toThrow(/>= 16; received \[12, 12, 1\]/);
    expect(() => buildModel('small-cnn', { ...MNIST, width: 8 })).toThrow(/small-cnn has a fixed width; a width applies to vgg-s, preact-resnet18, mobilenet-s/);
    expect(() => buildModel('vgg-s', { ...MNIST, width: 0 })).toThrow(/width must be an integer in \[1, 4096\]/);
    expect(() => buildModel('vgg-s', { inputShape: [7, 7, 3], numClasses: 10 })).toThrow(/>= 8; received \[7, 7, 3\]/);
  });
});

describe('the zoo at 32x32x3 (hand-counted parameters)', () => {
  const CIFAR = { inputShape: [32, 32, 3] as [number, number, number], numClasses: 10 };

  it('preact-resnet18 at width 64 has 11,171,146 trainable parameters (2,724w^2 + 133w + 8wC + C)', () => {
    // Per width w (3 input channels, C classes): stem 27w; convs 2,724w^2 (stage 1: 36w^2; stage 2: 18+36+2+72 = 128w^2;
    // stage 3: 72+144+8+288 = 512w^2; stage 4: 288+576+32+1152 = 2,048w^2); BN over 53w channels (4+7+14+28), each
    // with gamma, beta and two moving statistics; Dense 8w*C + C. w = 64: 27*64 + 2,724*4,096 + 2*53*64 + 5,130 =
    // 11,171,146 trainable (gamma and beta: what PyTorch counts, its moving statistics being buffers) + 2*53*64 = 6,784
    // moving statistics.
    const model = buildModel('preact-resnet18', { ...CIFAR, width: 64 });
    try {
      expect(trainableCount(model)).toBe(11171146);
      expect(model.countParams()).toBe(11177930);
    } finally {
      model.dispose();
    }
  });

  it('preact-resnet18: projection shortcuts where a stage starts (not the first), the map halves per stage', () => {
    const model = buildModel('preact-resnet18', { ...CIFAR, width: 4 });
    try {
      // w = 4: 27*4 + 2,724*16 + 4*53*4 + (32*10 + 10) = 108 + 43,584 + 848 + 330
      expect(model.countParams()).toBe(44870);
      const names = model.layers.map((l) => l.name);
      expect(names.filter((n) => n.endsWith('_shortcut'))).toEqual(['s2b1_shortcut', 's3b1_shortcut', 's4b1_shortcut']);
      expect(['s1b2_add', 's2b2_add', 's3b2_add', 's4b2_add'].map((n) => model.getLayer(n).outputShape)).toEqual([
        [null, 32, 32, 4],
        [null, 16, 16, 8],
        [null, 8, 8, 16],
        [null, 4, 4, 32],
      ]);
      expect(names).not.toContain('final_bn'); // as the reference: no BN after the last block
    } finally {
      model.dispose();
    }
  });

  it('vgg-s at width 32 has 815,466 parameters', () => {
    // stage 1: 3x3x3x32 864 + BN 128 + 3x3x32x32 9,216 + BN 128 = 10,336
    // stage 2: 3x3x32x64 18,432 + 256 + 3x3x64x64 36,864 + 256 = 55,808
    // stage 3: 3x3x64x128 73,728 + 512 + 3x3x128x128 147,456 + 512 = 222,208
    // flatten 4x4x128 = 2,048 -> hidden 2,048x256 + 256 = 524,544 -> classifier 256x10 + 10 = 2,570
    const model = buildModel('vgg-s', CIFAR);
    try {
      expect(model.countParams()).toBe(815466);
      expect(model.getLayer('s3_pool').outputShape).toEqual([null, 4, 4, 128]);
    } finally {
      model.dispose();
    }
  });

  it('mobilenet-s at width 16 has 38,634 parameters in depthwise + pointwise pairs', () => {
    // stem 3x3x3x16 432 + BN 64 = 496
    // b1: dw 3x3x16 144 + BN 64 + pw 16x32 512 + BN 128 = 848;   b2: dw 288 + 128 + pw 32x64 2,048 + 256 = 2,720
    // b3: dw 576 + 256 + pw 64x64 4,096 + 256 = 5,184;   b4: dw 576 + 256 + pw 64x128 8,192 + 512 = 9,536
    // b5: dw 1,152 + 512 + pw 128x128 16,384 + 512 = 18,560;   classifier 128x10 + 10 = 1,290
    const model = buildModel('mobilenet-s', CIFAR);
    try {
      expect(model.countParams()).toBe(38634);
      expect(model.getLayer('b1_dw').getClassName()).toBe('DepthwiseConv2D');
      expect(model.getLayer('b5_pw').outputShape).toEqual([null, 8, 8, 128]);
    } finally {
      model.dispose();
    }
  });
});
