import type * as tf from '@tensorflow/tfjs-core';

/** What a tfjs callback receives as logs: numbers, or Scalars that `fit` disposes after the hook returns. */
export type LogValue = number | tf.Scalar;
export type AnyLogs = Record<string, LogValue> | undefined;

/**
 * Reads one log entry as a plain number (undefined when absent). A Scalar is read synchronously and not kept:
 * `fit` disposes batch logs right after `onBatchEnd`.
 */
export function readLog(logs: AnyLogs, key: string): number | undefined {
  const v = logs?.[key];
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  return v.dataSync()[0];
}
