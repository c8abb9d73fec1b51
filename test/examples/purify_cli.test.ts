import { expectPurified, runExample } from './run_example';

// Spawns the documented command on the committed subset with the example's short settings (minutes, not seconds).
it('npm run -s example -- purify_cli --json: the backdoor is gone and the accuracy kept', () => {
  expectPurified(runExample('purify_cli'));
}, 1_200_000);
