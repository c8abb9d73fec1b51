import type * as tfl from '@tensorflow/tfjs-layers';

type LayerLike = tfl.layers.Layer;

/** Layers a shortcut's output may pass through on its way to the Add: BatchNorm and weightless one-input layers. */
function passesThrough(layer: LayerLike): boolean {
  return layer.getClassName() === 'BatchNormalization' || layer.weights.length === 0;
}

const inputsOf = (layer: LayerLike): LayerLike[] => layer.inboundNodes.flatMap((n) => n.inboundLayers);
const outputsOf = (layer: LayerLike): LayerLike[] => layer.outboundNodes.map((n) => n.outboundLayer);

/** The Add layer that `layer`'s single output reaches through pass-through layers only, if any. */
function addReached(layer: LayerLike): { add: LayerLike; from: LayerLike } | undefined {
  let at = layer;
  for (;;) {
    const next = outputsOf(at);
    if (next.length !== 1) return undefined;
    const n = next[0] as LayerLike;
    if (n.getClassName() === 'Add') return { add: n, from: at };
    if (!passesThrough(n) || inputsOf(n).length !== 1) return undefined;
    at = n;
  }
}

/** `start` and every layer it depends on. */
function ancestors(start: LayerLike): Set<LayerLike> {
  const seen = new Set<LayerLike>();
  const stack = [start];
  while (stack.length > 0) {
    const l = stack.pop() as LayerLike;
    if (seen.has(l)) continue;
    seen.add(l);
    stack.push(...inputsOf(l));
  }
  return seen;
}

/**
 * Whether some path from `source` to `end` passes through a layer with weights other than BatchNorm (a convolution
 * or a Dense layer), `end` included: then `end` closes a real branch that leaves `source`.
 */
function branchHasKernel(end: LayerLike, source: LayerLike): boolean {
  for (const l of ancestors(end)) if (l !== source && !passesThrough(l) && ancestors(l).has(source)) return true;
  return false;
}

/**
 * Whether `layer` is a residual projection shortcut: a Conv2D with a 1x1 kernel whose output goes, through
 * BatchNorm or weightless layers only, into an Add, while another input of that Add is a branch that leaves the
 * shortcut's own input and passes through at least one convolution or Dense layer (the residual branch). A 1x1
 * conv whose Add partner does not branch from its input (a pointwise projection in a MobileNetV2 block, added to
 * the block input) is not a shortcut, nor is one that reaches no Add (a pointwise layer of a separable block).
 * Walks the functional graph of the layer's own model (the layer must be built and connected).
 */
export function isProjectionShortcut(layer: LayerLike): boolean {
  if (layer.getClassName() !== 'Conv2D') return false;
  const kernel = layer.weights.find((w) => /(^|\/)kernel$/.test(w.originalName));
  const shape = kernel?.shape;
  if (shape === undefined || shape[0] !== 1 || shape[1] !== 1) return false;
  const source = inputsOf(layer);
  if (source.length !== 1) return false;
  const reached = addReached(layer);
  if (reached === undefined) return false;
  const others = inputsOf(reached.add).filter((l) => l !== reached.from);
  return others.some((o) => branchHasKernel(o, source[0] as LayerLike));
}
