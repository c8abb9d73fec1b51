import { expectPurified, runExample } from './run_example';

// Spawns the documented command on the committed subset with the example's short settings (minutes, not seconds);
// the runner seeds Math.random with 0, so the run repeats. With the head warm-up and 40 epochs of stage 2 at a
// cosine-decayed rate, seed 0 ended at ACC 0.7725 -> 0.7705, ASR 0.921 -> 0.026, n = 0.05 (constant rate: 0.7795 /
// 0.035; no warm-up: 0.774 / 0.093; no head shift: 0.748 / 0.119 at n = 0.5).
describe('npm run -s example -- fit_with_tsbd --json', () => {
  it('meets the bar: a backdoor that took is removed (ASR <= 0.10) at an ACC drop <= 0.03, no tensor left', () => {
    expectPurified(runExample('fit_with_tsbd'));
  }, 1_200_000);
});
