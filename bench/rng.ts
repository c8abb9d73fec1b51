/**
 * `npm run bench:rng -- [--json] [--reps N]`: the package's seeded PRNG (src/internal/rng.ts, Mulberry32) against
 * two well-kept seeded generators from npm, on the two draws the package makes: uniform floats in [0, 1) and a
 * Fisher-Yates permutation (what shuffles and poison selection use). A benchmark, not a test: it asserts nothing.
 *
 * - floatNsPerDraw: ns per uniform float, over 10^7 draws.
 * - permutationMs: ms per permutation of 60,000 indices (Fashion-MNIST's training split), uniform integers drawn
 *   by each library's own unbiased integer routine where it has one.
 * Each figure is the median of `--reps` (default 7) repetitions after one warm-up. Generators compared:
 * - ours: Mulberry32 (32-bit state);
 * - pure-rand 7 `xoroshiro128plus` (its 32-bit output / 2^32 for floats, as ours; its `uniformIntDistribution`,
 *   rejection sampling, unbiased, for integers);
 * - seedrandom 3 `alea` (its `double()` for floats, floor(n * x) for integers, as ours).
 */
import { unsafeUniformIntDistribution, xoroshiro128plus } from 'pure-rand';
import seedrandom from 'seedrandom';

import { Rng } from '../src/internal/rng';
import { median, round } from './stats';
import { benchArgs } from './args';

const USAGE = 'usage: npm run bench:rng -- [--json] [--reps N]';

interface Candidate {
  name: string;
  float: (seed: number) => () => number;
  int: (seed: number) => (n: number) => number;
}

const CANDIDATES: Candidate[] = [
  {
    name: 'ours (Mulberry32)',
    float: (seed) => {
      const r = new Rng(seed);
      return () => r.next();
    },
    int: (seed) => {
      const r = new Rng(seed);
      return (n) => r.int(n);
    },
  },
  {
    name: 'pure-rand xoroshiro128plus',
    float: (seed) => {
      const g = xoroshiro128plus(seed);
      return () => (g.unsafeNext() >>> 0) / 4294967296;
    },
    int: (seed) => {
      const g = xoroshiro128plus(seed);
      return (n) => unsafeUniformIntDistribution(0, n - 1, g);
    },
  },
  {
    name: 'seedrandom alea',
    float: (seed) => {
      const a = seedrandom.alea(String(seed));
      return () => a.double();
    },
    int: (seed) => {
      const a = seedrandom.alea(String(seed));
      return (n) => Math.floor(a() * n);
    },
  },
];

function permute(n: number, int: (n: number) => number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = int(i + 1);
    const t = p[i] as number;
    p[i] = p[j] as number;
    p[j] = t;
  }
  return p;
}

function time(run: () => number): number {
  const t0 = performance.now();
  const sink = run();
  const ms = performance.now() - t0;
  if (Number.isNaN(sink)) throw new Error('unreachable: keeps the loop from being optimised away');
  return ms;
}

function main(): void {
  const args = benchArgs(process.argv.slice(2), USAGE, { json: 'boolean', reps: 'string' });
  const json = args.flag('json');
  const reps = args.positiveInt('reps', 7);
  const DRAWS = 1e7;
  const N = 60_000;
  const rows = CANDIDATES.map((c) => {
    const floats: number[] = [];
    const perms: number[] = [];
    for (let r = 0; r <= reps; r++) {
      const next = c.float(r);
      const f = time(() => {
        let s = 0;
        for (let i = 0; i < DRAWS; i++) s += next();
        return s;
      });
      const int = c.int(r);
      const p = time(() => permute(N, int)[0] as number);
      if (r > 0) {
        floats.push((f * 1e6) / DRAWS);
        perms.push(p);
      }
    }
    return { name: c.name, floatNsPerDraw: round(median(floats), 2), permutationMs: round(median(perms), 2) };
  });
  const ours = rows[0] as (typeof rows)[number];
  const out = rows.map((r) => ({
    ...r,
    floatVsOurs: round(r.floatNsPerDraw / ours.floatNsPerDraw, 2),
    permutationVsOurs: round(r.permutationMs / ours.permutationMs, 2),
  }));
  if (json) process.stdout.write(`${JSON.stringify({ reps, draws: DRAWS, permutationOf: N, rows: out })}\n`);
  else for (const r of out) process.stdout.write(`${r.name.padEnd(28)} float ${r.floatNsPerDraw} ns (${r.floatVsOurs}x)  permutation ${r.permutationMs} ms (${r.permutationVsOurs}x)\n`);
}

main();
