import { describeDefense } from './describe_defense';

const quick = { epochs: 1, 'extrapolate-epochs': 1 };

describeDefense('tsbd-reinit-ft', { ...quick, n: 0.5 }, ({ report }) => {
  expect(report.options['alpha']).toBeUndefined();
  expect(report.chose['neurons']).toBe(2);
});

describeDefense('tsbd-aaft', quick, ({ report }) => {
  // n is pinned to 0: nothing is re-initialised.
  expect(report.chose).toMatchObject({ fraction: 0, neurons: 0, weights: 0 });
});

describeDefense('tsbd-random', { ...quick, n: 0.5 }, ({ report }) => {
  // Same count as NWC's mask at n = 0.5: 2 neurons x 9 weights, floor(0.7 * 18) = 12 weights, spread at random.
  expect(report.chose['weights']).toBe(12);
  expect(report.chose['neurons']).toBeGreaterThanOrEqual(2);
});
