import { runExample } from './run_example';

type RegroupedResult = ReturnType<typeof runExample> & { plain: { acc: number; asr: number }; classes: string[] };

/**
 * The team whose 3 groups share no class with the received model (examples/wrap_finetune_regrouped.ts): stage 1 reads
 * the received model's own predictions as labels. `after` and `plain` are the same job with and without TSBD, on the
 * new task's test images; the runner seeds Math.random with 0, so the run repeats.
 */
describe('npm run -s example -- wrap_finetune_regrouped --json', () => {
  let result: RegroupedResult;
  beforeAll(() => {
    result = runExample('wrap_finetune_regrouped') as RegroupedResult;
  }, 1_200_000);

  it('the new head has the three groups, and the received model carried the backdoor', () => {
    expect(result.classes).toEqual(['tops', 'footwear', 'other']);
    expect(result.before.asr).toBeGreaterThanOrEqual(0.5);
  });

  it('with TSBD the trigger sends at most 10% of the other groups to tops, at most 0.03 ACC below the plain job; no tensor left', () => {
    expect(result.after.asr).toBeLessThanOrEqual(0.1);
    expect(result.plain.acc - result.after.acc).toBeLessThanOrEqual(0.03);
    expect(result.leakedTensors).toBe(0);
  });
});
