import { runExample } from './run_example';

type NewHeadResult = ReturnType<typeof runExample> & { plain: { acc: number; asr: number } };

/**
 * The team that replaces the head (examples/wrap_finetune_new_head.ts). `after` and `plain` are the same job with and
 * without TSBD, on the new task's test images; the runner seeds Math.random with 0, so the run repeats.
 */
describe('npm run -s example -- wrap_finetune_new_head --json', () => {
  let result: NewHeadResult;
  beforeAll(() => {
    result = runExample('wrap_finetune_new_head') as NewHeadResult;
  }, 1_200_000);

  it('with TSBD the trigger sends at most 10% of the new task to the target; no tensor left', () => {
    expect(result.before.asr).toBeGreaterThanOrEqual(0.5);
    expect(result.after.asr).toBeLessThanOrEqual(0.1);
    expect(result.leakedTensors).toBe(0);
  });

  // KNOWN FAILURE, kept visible: with seed 0 the job with TSBD ends at ACC 0.896 against 0.935 without it (both ASR
  // 0.016: replacing the head and fine-tuning removed this backdoor on its own). What TSBD cannot promise after a new
  // head: keeping the plain job's accuracy within 0.03 (README). `it.failing` turns red once it does.
  it.failing('costs at most 0.03 ACC against the same job without TSBD', () => {
    expect(result.plain.acc - result.after.acc).toBeLessThanOrEqual(0.03);
  });
});
