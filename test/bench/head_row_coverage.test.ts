import { coverage, unitsHolding } from '../../bench/zoo_head_rows';

describe('coverage: the share of the trigger push held by the top units of a ranking', () => {
  // Four units, push 6 / 3 / 1 / 0 (total 10).
  const push = [6, 3, 1, 0];

  it('is the summed push of the top round(share * n) units over the total', () => {
    expect(coverage([4, 3, 2, 1], push, 0.5)).toBeCloseTo(0.9); // units 0, 1: (6 + 3) / 10
    expect(coverage([1, 2, 3, 4], push, 0.5)).toBeCloseTo(0.1); // units 3, 2: (0 + 1) / 10
    expect(coverage([0, 5, 0, 0], push, 0.25)).toBeCloseTo(0.3); // unit 1 alone
    expect(coverage([4, 3, 2, 1], push, 1)).toBeCloseTo(1);
  });

  it('is NaN when nothing is pushed, rather than a share of zero', () => {
    expect(coverage([1, 2], [0, 0], 0.5)).toBeNaN();
  });
});

describe('unitsHolding: how spread the push is', () => {
  it('is the smallest share of units, largest first, whose push reaches the part', () => {
    expect(unitsHolding([1, 6, 0, 3], 0.8)).toBe(0.5); // 6 + 3 = 9 >= 8
    expect(unitsHolding([1, 6, 0, 3], 0.6)).toBe(0.25); // 6 >= 6
    expect(unitsHolding([1, 6, 0, 3], 1)).toBe(0.75);
  });
});
