import { defineConfig } from 'tsup';

/**
 * The package build: ESM (.mjs) and CommonJS (.js) for each entry, each with its own declarations (.d.mts, .d.ts).
 * - index: the browser-safe root entry `tfjs-tsbd`;
 * - node: `tfjs-tsbd/node` (files, IDX, Fashion-MNIST);
 * - cli: the `tsbd` bin (CommonJS is the one `bin` names).
 * Shared code goes to chunks (splitting, CommonJS too), so that one process that loads both entries holds one copy
 * of every class: one tfjs serialization registration, one `instanceof` identity. No source maps: src/ is not shipped.
 */
export default defineConfig({
  entry: { index: 'src/index.ts', node: 'src/node/index.ts', cli: 'src/cli/bin.ts' },
  format: ['cjs', 'esm'],
  dts: { entry: { index: 'src/index.ts', node: 'src/node/index.ts' } },
  tsconfig: 'tsconfig.build.json',
  target: 'node20',
  platform: 'node',
  splitting: true,
  // __dirname (where the Fashion-MNIST subset is found) in the ESM build: Node's own import.meta.dirname (20.11+).
  // Not tsup's shims: with splitting they become a chunk that every entry imports, the browser-safe one too.
  esbuildOptions(options, { format }) {
    if (format === 'esm') options.define = { ...options.define, __dirname: 'import.meta.dirname' };
  },
  sourcemap: false,
  clean: true,
  outDir: 'dist',
});
