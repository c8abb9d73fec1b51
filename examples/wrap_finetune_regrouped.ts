/**
 * A team whose task shares no class with the model it got: it sorts the same kind of images into 3 groups of its own
 * (tops: T-shirt, pullover, coat, shirt; footwear: sandal, sneaker, ankle boot; other: trouser, dress, bag), replaces
 * the 10-class head with a 3-class one and fine-tunes. Its images carry only the group labels, so it cannot write
 * down their classes in the old task, which is what TSBD's stage 1 unlearns on. It gives stage 1 the received model's
 * own predictions on its clean images instead (`metrics.predictLabels`). The attacker's target, pullover, lies in
 * tops: ASR is the share of stamped test images from the other groups sent to tops.
 *
 * The same job without TSBD runs beside it, as in wrap_finetune_new_head; `plain` and `after` are on the new task's
 * test images, `before` is the received model on the old task.
 *
 *   npm run -s example -- wrap_finetune_regrouped [--json] [--data full]
 */
import type { ExampleArgs, ExampleResult } from './setup';
import { runTeamTask, type TeamTask } from './wrap_finetune_new_head';

/** The group of each Fashion-MNIST class (0 T-shirt .. 9 ankle boot): 0 tops, 1 footwear, 2 other. */
const GROUP_OF = [0, 2, 0, 2, 0, 1, 0, 1, 2, 1];
const GROUPS: TeamTask = { classes: ['tops', 'footwear', 'other'], of: (old) => GROUP_OF[old] ?? -1 };

export async function run(args: ExampleArgs): Promise<ExampleResult> {
  return runTeamTask(args, GROUPS, 'predicted', 'tsbd-regrouped-');
}
