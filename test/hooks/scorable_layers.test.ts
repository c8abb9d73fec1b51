import * as tfl from '@tensorflow/tfjs-layers';
import { ConfigError, ModelError } from '../../src/errors';
import { hasHiddenDenseHead, scorableKernels, unscoredKernelLayers, type LayerSelection } from '../../src/hooks/scorable_layers';

/** 8x8x3 -> c3 (3x3, 4) -> c1 (1x1, 4) -> dw (3x3, x2 => 8) -> sep (3x3, 5) -> flatten -> hid (6) -> out (3) -> softmax */
function mixedModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 3] });
  let h = tfl.layers.conv2d({ filters: 4, kernelSize: 3, name: 'c3' }).apply(input) as tfl.SymbolicTensor;
  h = tfl.layers.conv2d({ filters: 4, kernelSize: 1, name: 'c1' }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, name: 'dw' }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.separableConv2d({ filters: 5, kernelSize: 3, name: 'sep' }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.flatten().apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.dense({ units: 6, activation: 'relu', name: 'hid' }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.dense({ units: 3, name: 'out' }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.activation({ activation: 'softmax' }).apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: h, name: 'mixed' });
}

const summary = (m: tfl.LayersModel, sel?: LayerSelection, includeShortcuts?: boolean): string[] =>
  scorableKernels(m, sel, includeShortcuts === undefined ? {} : { includeShortcuts }).map(
    (k) => `${k.layerName}:${k.kind}:[${k.shape.join(',')}]:${k.numNeurons}`,
  );

describe('scorableKernels', () => {
  const model = mixedModel();
  afterAll(() => model.dispose());

  it("'conv' scores convs (a 1x1 that is no shortcut too, not Dense); depthwise neurons = in*mult, separable = pointwise", () => {
    expect(summary(model, 'conv')).toEqual([
      'c3:conv2d:[3,3,3,4]:4',
      'c1:conv2d:[1,1,4,4]:4',
      'dw:depthwise:[3,3,4,2]:8',
      'sep:pointwise:[1,1,8,5]:5',
    ]);
  });

  it("'auto' scores the convs and the hidden Dense of a conv model with a flatten-into-Dense head", () => {
    expect(summary(model)).toEqual([
      'c3:conv2d:[3,3,3,4]:4',
      'c1:conv2d:[1,1,4,4]:4',
      'dw:depthwise:[3,3,4,2]:8',
      'sep:pointwise:[1,1,8,5]:5',
      'hid:dense:[20,6]:6',
    ]);
  });

  it('skips a residual projection shortcut by its role (unless includeShortcuts), not a 1x1 projection added to the block input', () => {
    // 6x6x2 -> a (3x3, 4) -> [r1 (3x3, 8) -> bn -> r2 (3x3, 8)] + [sc (1x1, 8) -> bn]  = add1      (ResNet projection)
    //       -> e (1x1, 16) -> dw (3x3) -> p (1x1, 8) -> bn  + add1 = add2   (MobileNetV2 block: p is no shortcut)
    const input = tfl.input({ shape: [6, 6, 2] });
    const L = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]): tfl.SymbolicTensor => layer.apply(x) as tfl.SymbolicTensor;
    const a = L(tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'a' }), input);
    const r = L(tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'r2' }), L(tfl.layers.batchNormalization({ name: 'rbn' }), L(tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'r1' }), a)));
    const sc = L(tfl.layers.batchNormalization({ name: 'scbn' }), L(tfl.layers.conv2d({ filters: 8, kernelSize: 1, name: 'sc' }), a));
    const add1 = L(tfl.layers.add({ name: 'add1' }), [r, sc]);
    const e = L(tfl.layers.conv2d({ filters: 16, kernelSize: 1, name: 'e' }), add1);
    const dw = L(tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'dw' }), e);
    const p = L(tfl.layers.batchNormalization({ name: 'pbn' }), L(tfl.layers.conv2d({ filters: 8, kernelSize: 1, name: 'p' }), dw));
    const add2 = L(tfl.layers.add({ name: 'add2' }), [p, add1]);
    const out = L(tfl.layers.dense({ units: 2, activation: 'softmax', name: 'out' }), L(tfl.layers.globalAveragePooling2d({}), add2));
    const m = tfl.model({ inputs: input, outputs: out, name: 'residual' });
    try {
      const names = (inc?: boolean): string[] => summary(m, 'conv', inc).map((x) => x.split(':')[0] as string);
      expect(names()).toEqual(['a', 'r1', 'r2', 'e', 'dw', 'p']);
      expect(names(true)).toEqual(['a', 'r1', 'sc', 'r2', 'e', 'dw', 'p']); // model.layers order
    } finally {
      m.dispose();
    }
  });

  it("'conv+dense' adds the hidden Dense but never the output Dense (behind an Activation layer)", () => {
    expect(summary(model, 'conv+dense')).toEqual([
      'c3:conv2d:[3,3,3,4]:4',
      'c1:conv2d:[1,1,4,4]:4',
      'dw:depthwise:[3,3,4,2]:8',
      'sep:pointwise:[1,1,8,5]:5',
      'hid:dense:[20,6]:6',
    ]);
  });

  it('returns the live kernel variables', () => {
    const [c3] = scorableKernels(model);
    const layer = model.getLayer('c3');
    expect(c3?.variable).toBe(layer.weights[0]);
  });

  it("'auto' on a dense-only model scores the hidden Dense layers; 'conv' throws", () => {
    const m = tfl.sequential({
      name: 'mlp',
      layers: [
        tfl.layers.dense({ units: 5, inputShape: [4], name: 'd1' }),
        tfl.layers.dense({ units: 3, name: 'd2' }),
        tfl.layers.dense({ units: 2, activation: 'softmax', name: 'd3' }),
      ],
    });
    try {
      expect(summary(m)).toEqual(['d1:dense:[4,5]:5', 'd2:dense:[5,3]:3']);
      expect(() => scorableKernels(m, 'conv')).toThrow(ModelError);
    } finally {
      m.dispose();
    }
  });

  it('recurses into a nested Sequential; the output Dense inside it is still excluded', () => {
    const inner = tfl.sequential({
      layers: [tfl.layers.dense({ units: 4, inputShape: [3], name: 'inner_h' }), tfl.layers.dense({ units: 2, name: 'inner_out' })],
    });
    const outer = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [2], name: 'pre' }), inner] });
    try {
      expect(summary(outer)).toEqual(['pre:dense:[2,3]:3', 'inner_h:dense:[3,4]:4']);
    } finally {
      outer.dispose();
    }
  });

  it('throws a ModelError naming the model and its layer classes when nothing is scorable', () => {
    const m = tfl.sequential({
      name: 'only_output',
      layers: [tfl.layers.flatten({ inputShape: [2, 2] }), tfl.layers.dense({ units: 2, activation: 'softmax' })],
    });
    try {
      expect(() => scorableKernels(m)).toThrow(ModelError);
      expect(() => scorableKernels(m)).toThrow(/only_output.*Flatten, Dense/);
    } finally {
      m.dispose();
    }
  });

  it('rejects an unknown selection with a ConfigError', () => {
    expect(() => scorableKernels(model, 'all' as LayerSelection)).toThrow(ConfigError);
  });
});

describe('unscoredKernelLayers', () => {
  it('names the Conv1D and Conv2DTranspose that scorableKernels skips; not the 1x1 conv, the hidden or output Dense', () => {
    // 6x2 -> c1d (Conv1D 3, 4 filters) -> 4x4 -> reshape 2x2x4 -> up (Conv2DTranspose 2x2, 2) -> 3x3x2 -> c3 (2x2, 3)
    // -> p1 (1x1, 3) -> flatten -> hid (Dense 4) -> out (Dense 2, softmax)
    const m = tfl.sequential({
      name: 'odd',
      layers: [
        tfl.layers.conv1d({ inputShape: [6, 2], filters: 4, kernelSize: 3, name: 'c1d' }),
        tfl.layers.reshape({ targetShape: [2, 2, 4] }),
        tfl.layers.conv2dTranspose({ filters: 2, kernelSize: 2, name: 'up' }),
        tfl.layers.conv2d({ filters: 3, kernelSize: 2, name: 'c3' }),
        tfl.layers.conv2d({ filters: 3, kernelSize: 1, name: 'p1' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 4, name: 'hid' }),
        tfl.layers.dense({ units: 2, activation: 'softmax', name: 'out' }),
      ],
    });
    try {
      expect(unscoredKernelLayers(m)).toEqual([
        { layer: 'c1d', className: 'Conv1D' },
        { layer: 'up', className: 'Conv2DTranspose' },
      ]);
      // ... which is what scorableKernels leaves out even with the widest selection.
      expect(summary(m, 'conv+dense', true)).toEqual([
        'c3:conv2d:[2,2,2,3]:3',
        'p1:conv2d:[1,1,3,3]:3',
        'hid:dense:[12,4]:4',
      ]);
    } finally {
      m.dispose();
    }
  });

  it('finds a Conv3D inside a nested model; a model with only scorable kernels gives []', () => {
    const inner = tfl.sequential({
      layers: [tfl.layers.conv3d({ inputShape: [3, 3, 3, 1], filters: 2, kernelSize: 2, name: 'c3d' }), tfl.layers.flatten()],
    });
    const outer = tfl.sequential({ layers: [inner, tfl.layers.dense({ units: 2, name: 'head' })] });
    const plain = mixedModel();
    try {
      expect(unscoredKernelLayers(outer)).toEqual([{ layer: 'c3d', className: 'Conv3D' }]);
      expect(unscoredKernelLayers(plain)).toEqual([]); // conv2d, 1x1, depthwise, separable, hidden and output Dense
    } finally {
      outer.dispose();
      plain.dispose();
    }
  });
});

describe('hasHiddenDenseHead: is the output Dense fed by a hidden Dense layer?', () => {
  const seq = (layers: tfl.layers.Layer[]): tfl.LayersModel => {
    const m = tfl.sequential();
    for (const l of layers) m.add(l);
    return m;
  };
  const conv = (): tfl.layers.Layer => tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3 });
  const out = (): tfl.layers.Layer => tfl.layers.dense({ units: 3, activation: 'softmax' });

  it.each([
    ['an MLP: yes', () => seq([tfl.layers.flatten({ inputShape: [8, 8, 1] }), tfl.layers.dense({ units: 4, activation: 'relu' }), out()]), true],
    [
      'conv, flatten, Dense, dropout, BatchNorm, output: yes (through weightless layers and BN)',
      () => seq([conv(), tfl.layers.flatten(), tfl.layers.dense({ units: 4 }), tfl.layers.dropout({ rate: 0.5 }), tfl.layers.batchNormalization(), out()]),
      true,
    ],
    ['conv, global average pooling, output: no', () => seq([conv(), tfl.layers.globalAveragePooling2d({}), out()]), false],
    ['conv, flatten straight into the output: no', () => seq([conv(), tfl.layers.flatten(), out()]), false],
    ['the output Dense on the input itself: no', () => seq([tfl.layers.dense({ inputShape: [5], units: 3 })]), false],
  ])('%s', (_name, build, expected) => {
    const m = build();
    expect(hasHiddenDenseHead(m)).toBe(expected);
    m.dispose();
  });
});
