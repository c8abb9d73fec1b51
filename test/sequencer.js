/**
 * Jest's default order, with the example tests (test/examples) moved to the front. Each spends minutes in a child
 * process; on a fresh clone there are no cached durations, so the default order (by file size) started the longest
 * of them late and the suite waited on it alone at the end (CI: 950 s for 1,450 s of test time on two workers).
 */
const Sequencer = require('@jest/test-sequencer').default;

class ExamplesFirst extends Sequencer {
  async sort(tests) {
    const sorted = await super.sort(tests);
    const isExample = (t) => /[\\/]test[\\/]examples[\\/]/.test(t.path);
    return [...sorted.filter(isExample), ...sorted.filter((t) => !isExample(t))];
  }
}

module.exports = ExamplesFirst;
