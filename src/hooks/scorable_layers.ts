import * as tfl from '@tensorflow/tfjs-layers';
import { ConfigError, ModelError } from '../errors';
import { isProjectionShortcut } from './projection_shortcuts';

/**
 * Which layers NWC scores.
 * - `'auto'`: every convolution and every hidden Dense layer (as `'conv+dense'`). Porting note: the reference scores
 *   hidden Dense layers only in a model without convolutions. Measured on a tfjs-examples mnist-node model (convs,
 *   flatten, Dense 512; issue 10's zoo, model D1): zeroing the top 30% of conv neurons and 2 epochs of recovery left
 *   ASR 0.55 (two runs); ranking the Dense 512 units with them left 0.17 and 0.32, because the backdoor's strongest
 *   trigger-activated change is in the Dense units (docs/foreign-models.md).
 * - `'conv'`: convolutions only (a ModelError when there are none).
 * - `'conv+dense'`: convolutions and hidden Dense layers.
 * The output Dense layer is never scored.
 */
export type LayerSelection = 'auto' | 'conv' | 'conv+dense';

/** The kind of a scored kernel; it fixes how kernel elements map to neurons. */
export type KernelKind = 'conv2d' | 'depthwise' | 'pointwise' | 'dense';

/** One kernel whose output units ("neurons") NWC scores. */
export interface ScorableKernel {
  /** Name of the layer that owns the kernel (leaf layer, also inside nested models). */
  layerName: string;
  kind: KernelKind;
  /** Kernel shape: conv2d [kh,kw,in,out], depthwise [kh,kw,in,mult], pointwise [1,1,in*mult,out], dense [in,out]. */
  shape: number[];
  /** Output units: `out`, or `in*mult` for a depthwise kernel. */
  numNeurons: number;
  /** The LIVE kernel variable (not a copy): read it, never dispose it. */
  variable: tfl.LayerVariable;
}

/** Options of `scorableKernels`. */
export interface ScorableKernelsOptions {
  /**
   * Score residual projection shortcuts too (1x1 Conv2Ds on the side branch of a residual Add; see
   * `isProjectionShortcut`). The reference skips them. Other 1x1 Conv2Ds, such as the pointwise layer of a
   * depthwise-separable block, are always scored.
   * @default false
   */
  includeShortcuts?: boolean;
}

const SELECTIONS: readonly LayerSelection[] = ['auto', 'conv', 'conv+dense'];

/**
 * Number of neurons (output units) of a kernel of `kind` and `shape`. In every kind the neuron of the kernel element
 * at flat (row-major) index `i` is `i % numNeurons`: the neuron axes are the trailing ones.
 */
export function neuronsOf(kind: KernelKind, shape: readonly number[]): number {
  const last = shape[shape.length - 1] ?? 0;
  if (kind === 'depthwise') return (shape[shape.length - 2] ?? 0) * last;
  return last;
}

type LayerLike = tfl.layers.Layer;

/** All leaf layers in order: nested LayersModels (Sequential or functional) are expanded in place. */
export function leafLayers(model: tfl.LayersModel): LayerLike[] {
  const out: LayerLike[] = [];
  for (const layer of model.layers) {
    if (layer instanceof tfl.LayersModel) out.push(...leafLayers(layer));
    else out.push(layer);
  }
  return out;
}

function weightByName(layer: LayerLike, test: (name: string) => boolean): tfl.LayerVariable | undefined {
  return layer.weights.find((w) => test(w.originalName));
}

const isKernel = (n: string): boolean =>
  /(^|\/)kernel$/.test(n) && !n.endsWith('depthwise_kernel') && !n.endsWith('pointwise_kernel');

/**
 * The scorable kernel of one leaf layer, whatever the selection (undefined for a layer without one: no weights,
 * BatchNorm, Conv1D/3D, transposed convs, ...; `unscoredKernelLayers` lists those that do hold a kernel).
 * The layer must be built.
 */
export function kernelOfLayer(layer: LayerLike): ScorableKernel | undefined {
  const cls = layer.getClassName();
  let kind: KernelKind;
  let variable: tfl.LayerVariable | undefined;
  if (cls === 'Conv2D') {
    kind = 'conv2d';
    variable = weightByName(layer, isKernel);
  } else if (cls === 'DepthwiseConv2D') {
    kind = 'depthwise';
    variable = weightByName(layer, (n) => n.endsWith('depthwise_kernel'));
  } else if (cls === 'SeparableConv2D') {
    kind = 'pointwise';
    variable = weightByName(layer, (n) => n.endsWith('pointwise_kernel'));
  } else if (cls === 'Dense') {
    kind = 'dense';
    variable = weightByName(layer, isKernel);
  } else {
    return undefined;
  }
  if (variable === undefined) return undefined;
  const shape = [...variable.read().shape];
  if (shape.length !== (kind === 'dense' ? 2 : 4)) return undefined;
  return { layerName: layer.name, kind, shape, numNeurons: neuronsOf(kind, shape), variable };
}

/** A leaf layer that holds a kernel NWC cannot score, as listed by `unscoredKernelLayers`. */
export interface UnscoredKernelLayer {
  /** The layer's name. */
  layer: string;
  /** Its class, e.g. 'Conv1D', 'Conv2DTranspose', 'Conv3D', 'LSTM'. */
  className: string;
}

/**
 * The leaf layers (nested models expanded, in layer order) that hold a kernel weight (a weight whose name ends in
 * 'kernel') but of a kind `scorableKernels` cannot score with any selection: Conv1D, Conv2DTranspose, Conv3D,
 * recurrent layers, wrappers such as TimeDistributed, ... NWC ranks no neuron of theirs, so reinitialisation never
 * touches them. Layers skipped on purpose are not listed: the output Dense layers and projection shortcuts
 * (scorable, but left out by the rules), and hidden Dense layers that a selection leaves out. Holds no tensors.
 */
export function unscoredKernelLayers(model: tfl.LayersModel): UnscoredKernelLayer[] {
  return leafLayers(model)
    .filter((layer) => layer.weights.some((w) => /kernel$/.test(w.originalName)) && kernelOfLayer(layer) === undefined)
    .map((layer) => ({ layer: layer.name, className: layer.getClassName() }));
}

/**
 * The Dense layers that produce a model output: found by walking back from each output through layers without
 * weights (Activation, Softmax, Dropout, Reshape, ...) and into nested models. They are never scored.
 */
export function outputDenseLayers(model: tfl.LayersModel): Set<LayerLike> {
  const found = new Set<LayerLike>();
  const seen = new Set<LayerLike>();
  const visit = (layer: LayerLike): void => {
    if (seen.has(layer)) return;
    seen.add(layer);
    if (layer instanceof tfl.LayersModel) {
      for (const t of layer.outputs) visit(t.sourceLayer);
      return;
    }
    const cls = layer.getClassName();
    if (cls === 'Dense') {
      found.add(layer);
      return;
    }
    // Stop at any other layer with a kernel-like weight; pass through weightless layers and BatchNormalization.
    if (layer.weights.length > 0 && cls !== 'BatchNormalization') return;
    for (const node of layer.inboundNodes) for (const prev of node.inboundLayers) visit(prev);
  };
  for (const t of model.outputs) visit(t.sourceLayer);
  return found;
}

/**
 * The output Dense layer that head-level defenses work on (FST's and the head shift's re-drawn head, the layer the
 * head warm-up trains alone): the first of {@link outputDenseLayers}, so that they all pick the same one.
 */
export function outputHead(model: tfl.LayersModel): LayerLike | undefined {
  return [...outputDenseLayers(model)][0];
}

/**
 * Whether a model output's Dense layer is fed by a hidden Dense layer (through weightless layers such as Dropout or
 * Activation, and BatchNormalization): an MLP, or convolutions flattened into a Dense layer before the output. False
 * for heads fed by a pooling, a flatten of convolutions or the input itself.
 */
export function hasHiddenDenseHead(model: tfl.LayersModel): boolean {
  return denseFeedingHead(model) !== undefined;
}

/**
 * The hidden Dense layer whose units are the output Dense layer's inputs (reached through weightless layers and
 * BatchNormalization, such as Dropout), or undefined when none feeds it (see {@link hasHiddenDenseHead}).
 */
export function denseFeedingHead(model: tfl.LayersModel): LayerLike | undefined {
  const seen = new Set<LayerLike>();
  const feedingDense = (layer: LayerLike): LayerLike | undefined => {
    if (seen.has(layer)) return undefined;
    seen.add(layer);
    if (layer instanceof tfl.LayersModel) return firstOf(layer.outputs.map((t) => t.sourceLayer), feedingDense);
    const cls = layer.getClassName();
    if (cls === 'Dense') return layer;
    if (layer.weights.length > 0 && cls !== 'BatchNormalization') return undefined;
    return firstOf(layer.inboundNodes.flatMap((node) => node.inboundLayers), feedingDense);
  };
  for (const head of outputDenseLayers(model)) {
    const found = firstOf(head.inboundNodes.flatMap((node) => node.inboundLayers), feedingDense);
    if (found !== undefined) return found;
  }
  return undefined;
}

function firstOf<T, R>(items: readonly T[], f: (item: T) => R | undefined): R | undefined {
  for (const item of items) {
    const r = f(item);
    if (r !== undefined) return r;
  }
  return undefined;
}

/**
 * Lists the kernels NWC scores, in layer order. A Conv2D is skipped by its role, not its shape: a residual
 * projection shortcut is left out (unless `includeShortcuts`), while any other 1x1 Conv2D, such as the pointwise
 * layer of a MobileNet block, is scored. Layers with a kernel of another kind (Conv1D, Conv2DTranspose,
 * Conv3D, ...) are skipped without an error; `unscoredKernelLayers` names them. A neuron is one output unit: an output channel of a Conv2D
 * (incoming weights kh*kw*in), one (in, mult) channel of a DepthwiseConv2D (kh*kw weights), an output channel of a
 * SeparableConv2D's pointwise kernel (in*mult weights; its depthwise kernel is not scored), or a unit of a hidden
 * Dense layer (in weights).
 *
 * Porting note: the reference scores every Conv2d except the 1x1 shortcut convs (method.md), and
 * hidden Linear layers only for a conv-free model; `'conv+dense'` is our extension. Before issue 11 every 1x1 Conv2D
 * was skipped by shape, which hid MobileNet's pointwise layers from NWC.
 *
 * @returns plain records holding the model's LIVE kernel variables (owned by the model).
 * @throws ConfigError for an unknown selection; ModelError when nothing is scorable.
 */
export function scorableKernels(
  model: tfl.LayersModel,
  selection: LayerSelection = 'auto',
  opts: ScorableKernelsOptions = {},
): ScorableKernel[] {
  if (!SELECTIONS.includes(selection)) {
    throw new ConfigError(`layer selection must be one of ${SELECTIONS.join(', ')}; received ${String(selection)}`, {
      option: 'layers',
      received: selection,
    });
  }
  const includeShortcuts = opts.includeShortcuts ?? false;
  const layers = leafLayers(model);
  const outputs = outputDenseLayers(model);
  const convs: ScorableKernel[] = [];
  const dense: ScorableKernel[] = [];
  const both: ScorableKernel[] = [];
  for (const layer of layers) {
    const k = kernelOfLayer(layer);
    if (k === undefined) continue;
    if (k.kind === 'dense') {
      if (outputs.has(layer)) continue;
      dense.push(k);
    } else {
      if (k.kind === 'conv2d' && !includeShortcuts && isProjectionShortcut(layer)) continue;
      convs.push(k);
    }
    both.push(k);
  }
  let chosen: ScorableKernel[];
  if (selection === 'conv') chosen = convs;
  else chosen = both;
  if (chosen.length === 0) {
    const classes = [...new Set(layers.map((l) => l.getClassName()))];
    throw new ModelError(
      `model '${model.name}' has no layer to score with selection '${selection}' ` +
        `(want Conv2D${includeShortcuts ? '' : ' other than a projection shortcut'}, DepthwiseConv2D, SeparableConv2D` +
        `${selection === 'conv' ? '' : ' or a hidden Dense'}); its layers are: ${classes.join(', ')}`,
      { model: model.name, selection, layerClasses: classes },
    );
  }
  const names = new Set<string>();
  for (const k of chosen) {
    if (names.has(k.layerName)) {
      throw new ModelError(`model '${model.name}' has two scorable layers named '${k.layerName}'; names must be unique`, {
        model: model.name,
        layer: k.layerName,
      });
    }
    names.add(k.layerName);
  }
  return chosen;
}

/**
 * The kernel of the leaf layer named `layerName` in `model`, whatever the selection rules (used to apply masks and
 * match snapshots). @throws ModelError when there is no such layer or it has no kernel.
 */
export function findKernel(model: tfl.LayersModel, layerName: string): ScorableKernel {
  const layer = leafLayers(model).find((l) => l.name === layerName);
  const k = layer === undefined ? undefined : kernelOfLayer(layer);
  if (k === undefined) {
    throw new ModelError(
      layer === undefined
        ? `model '${model.name}' has no layer named '${layerName}'`
        : `layer '${layerName}' (${layer.getClassName()}) of model '${model.name}' has no scorable kernel`,
      { model: model.name, layer: layerName },
    );
  }
  return k;
}
