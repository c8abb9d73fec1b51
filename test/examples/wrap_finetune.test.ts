import { expectPurified, runExample } from './run_example';

// Spawns the documented command on the committed subset with the example's short settings (minutes, not seconds).
it('npm run -s example -- wrap_finetune --json: the backdoor is gone and the accuracy kept', () => {
  expectPurified(runExample('wrap_finetune'));
}, 1_200_000);
