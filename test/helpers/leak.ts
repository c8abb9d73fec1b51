import * as tf from '@tensorflow/tfjs-core';

/**
 * Asserts that `run` leaves no tensor behind: it runs once to warm up (kernels and lazily created state),
 * then twice more, and `tf.memory().numTensors` must be the same after as before those two runs.
 */
export async function expectNoLeak(run: () => Promise<unknown> | unknown): Promise<void> {
  await run();
  const before = tf.memory().numTensors;
  await run();
  await run();
  expect(tf.memory().numTensors).toBe(before);
}
