import { expectPurified, runExample } from './run_example';

// Spawns the documented command on the committed subset with the example's short settings (minutes, not seconds);
// the runner seeds Math.random with 0, so the run repeats. With the trigger inversion, 20 epochs of stage 2 on the
// stamped set and stage 3, seed 0 ended at ACC 0.7725 -> 0.809, ASR 0.921 -> 0.024, n = 0 (without stage 3: 0.799 /
// 0.032; before the inversion, with the head shift, warm-up and 40 epochs: 0.7705 / 0.026).
describe('npm run -s example -- fit_with_tsbd --json', () => {
  it('meets the bar: a backdoor that took is removed (ASR <= 0.10) at an ACC drop <= 0.03, no tensor left', () => {
    expectPurified(runExample('fit_with_tsbd'));
  }, 1_200_000);
});
