import * as tf from '@tensorflow/tfjs-core';

/**
 * Views a kernel input as a Tensor so that a kernel can be written with ordinary ops.
 *
 * Why: kernels receive `TensorInfo`s. When an op calls the kernel they are already Tensors, and we use them as they
 * are. A raw `TensorInfo` (from a direct `engine().runKernel` call) gets a new Tensor on the same data; its
 * reference count is raised first, so that disposing that view (e.g. at the end of a `tf.tidy`) releases only
 * the view and never frees the caller's data.
 *
 * Call only inside `tf.tidy`, which disposes the view.
 */
export function kernelInputAsTensor(info: tf.TensorInfo): tf.Tensor {
  if (info instanceof tf.Tensor) return info;
  const backend = tf.engine().backend;
  backend.incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info, backend);
}

/** Normalises a `[h, w] | n` stride or dilation attribute to a pair. */
export function toPair(value: number | [number, number]): [number, number] {
  return typeof value === 'number' ? [value, value] : value;
}
