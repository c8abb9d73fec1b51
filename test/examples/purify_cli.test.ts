import { expectPurified, runExample } from './run_example';

// Spawns the documented command on the committed subset with the example's short settings (minutes, not seconds).
describe('npm run -s example -- purify_cli --json', () => {
  let result: ReturnType<typeof runExample>;
  beforeAll(() => {
    result = runExample('purify_cli');
  }, 1_200_000);

  it('runs the CLI flow: a backdoor that took, lowered by purify, no tensor left', () => {
    expect(result.before.asr).toBeGreaterThanOrEqual(0.5);
    expect(result.after.asr).toBeLessThan(result.before.asr);
    expect(result.leakedTensors).toBe(0);
  });

  // KNOWN FAILURE, kept visible rather than loosened: on the subset the CLI's purify leaves ASR 0.14 on this small-cnn
  // model (n = 0.5, ACC 0.842 -> 0.8235; README, "Drop into an existing script"), above the 0.10 every example must
  // reach (issue 15), because the automatic n is not yet right on every model (issue 10). `it.failing` passes while
  // the assertion fails and turns red once the example meets the bar: then make it a plain `it`.
  it.failing('the backdoor is gone (ASR <= 0.10) and the accuracy kept (drop <= 0.03)', () => {
    expectPurified(result);
  });
});
