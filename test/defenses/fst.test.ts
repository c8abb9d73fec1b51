import { describeDefense } from './describe_defense';

describeDefense('fst', { epochs: 2 }, async ({ report, model }, suspect) => {
  const c = report.chose as { head: string; epochAccs: number[]; headInnerProduct: number };
  expect(c.epochAccs).toHaveLength(2);
  // The head's weight norm is held at the original's after every step.
  const norm = (m: typeof model): number => {
    const w = Array.from(m.getLayer(c.head).getWeights()[0]?.dataSync() ?? []);
    return Math.sqrt(w.reduce((s, v) => s + v * v, 0));
  };
  expect(norm(model)).toBeCloseTo(norm(suspect), 4);
  // Re-drawn and pushed away: the new head is no longer the original (whose inner product with itself is norm^2).
  expect(c.headInnerProduct).toBeLessThan(norm(suspect) ** 2 * 0.9);
});
