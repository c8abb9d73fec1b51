/**
 * Defense effectiveness rating (BackdoorBench), as a fraction: [max(0, ASR_before - ASR_after) -
 * max(0, ACC_before - ACC_after) + 1] / 2. 0.5 = no change; 1 = backdoor fully removed at no accuracy cost.
 */
export function der(before: { acc: number; asr: number }, after: { acc: number; asr: number }): number {
  return (Math.max(0, before.asr - after.asr) - Math.max(0, before.acc - after.acc) + 1) / 2;
}
