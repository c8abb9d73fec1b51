import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';

import * as ts from 'typescript';

const ROOT = join(__dirname, '..', '..');

/** Packages the browser entry may import: tfjs itself and browser-safe libraries. Anything else is a finding. */
const BROWSER_PACKAGES = new Set(['@tensorflow/tfjs-core', '@tensorflow/tfjs-data', '@tensorflow/tfjs-layers', 'eventemitter3']);

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Globals that exist in Node only; a browser bundle that reaches one fails at run time. */
const NODE_GLOBALS = /\b(__dirname|__filename|require\s*\(|require\.resolve|module\.exports|Buffer\.|process\.(env|pid|cwd|exit|argv|stdout|stderr))/;

interface Finding {
  file: string;
  what: string;
}

function resolveSource(from: string, spec: string): string {
  const base = resolve(dirname(from), spec);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) {
    try {
      readFileSync(candidate);
      return candidate;
    } catch {
      // try the next form
    }
  }
  throw new Error(`${relative(ROOT, from)} imports ${spec}, which resolves to no .ts file`);
}

/**
 * Walks the import graph of a TypeScript entry (static, type-only and dynamic imports with literal specifiers, as
 * `ts.preProcessFile` reads them) and lists every Node built-in, non-browser package or Node global it reaches.
 * Type-only imports are followed too: they cost nothing at run time, but a stray one is where a runtime one starts.
 */
function walk(entry: string): { files: string[]; findings: Finding[] } {
  const seen = new Set<string>();
  const findings: Finding[] = [];
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    const rel = relative(ROOT, file);
    const code = ts.createSourceFile(file, source, ts.ScriptTarget.ES2022, false);
    // Comments are dropped before the globals check: doc comments may name Node things.
    const printed = ts.createPrinter({ removeComments: true }).printFile(code);
    const global = NODE_GLOBALS.exec(printed);
    if (global !== null) findings.push({ file: rel, what: `uses the Node global ${global[0]}` });
    for (const { fileName: spec } of ts.preProcessFile(source, true, true).importedFiles) {
      if (spec.endsWith('.json')) continue; // data, inlined by the bundler: nothing to walk
      if (spec.startsWith('.')) queue.push(resolveSource(file, spec));
      else if (NODE_BUILTINS.has(spec)) findings.push({ file: rel, what: `imports the Node module ${spec}` });
      else if (!BROWSER_PACKAGES.has(spec) && !spec.startsWith('@tensorflow/tfjs-backend-'))
        findings.push({ file: rel, what: `imports ${spec}, which is not known to be browser-safe` });
    }
  }
  return { files: [...seen].map((f) => relative(ROOT, f)).sort(), findings };
}

describe('the root entry (tfjs-tsbd) is browser-safe', () => {
  it('reaches no Node module, Node global or Node-only package from src/index.ts', () => {
    const { files, findings } = walk(join(ROOT, 'src', 'index.ts'));
    expect(findings).toEqual([]);
    // The walk really covers the library: purify, the hooks, the optimizer wrapper and the wasm kernels.
    expect(files).toEqual(
      expect.arrayContaining([
        'src/defenses/tsbd.ts',
        'src/hooks/nwc.ts',
        'src/optimizers/grad_norm.ts',
        'src/backend/training_kernels.ts',
        'src/attacks/badnets.ts',
      ]),
    );
    expect(files.some((f) => f.startsWith('src/io/') || f.startsWith('src/cli/') || f.startsWith('src/node/'))).toBe(false);
  });

  it('the walk finds a Node import where there is one (tfjs-tsbd/node reaches node:fs, and the CLI commander)', () => {
    const node = walk(join(ROOT, 'src', 'node', 'index.ts')).findings;
    expect(node).toEqual(expect.arrayContaining([{ file: 'src/io/atomic_write.ts', what: 'imports the Node module node:fs' }]));
    expect(node).toEqual(expect.arrayContaining([{ file: 'src/data/fashion_mnist.ts', what: 'uses the Node global __dirname' }]));
    const cli = walk(join(ROOT, 'src', 'cli', 'main.ts')).findings;
    expect(cli).toEqual(expect.arrayContaining([{ file: 'src/cli/main.ts', what: 'imports commander, which is not known to be browser-safe' }]));
  });
});
