#!/usr/bin/env node
'use strict';
// Runs a TypeScript entry point without a build step: `node bench/run_ts.js bench/perf.ts [args...]`.
// Every .ts file it requires is transpiled on load with the project's own TypeScript (a devDependency), as
// CommonJS; types are not checked here (`npm run typecheck` does that, bench/ included).
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const options = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  esModuleInterop: true,
  inlineSourceMap: true,
};
require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions: options, fileName: filename });
  module._compile(outputText, filename);
};

const [entry, ...args] = process.argv.slice(2);
if (entry === undefined) {
  process.stderr.write('usage: node bench/run_ts.js <file.ts> [args...]\n');
  process.exit(2);
}
const resolved = path.resolve(entry);
process.argv = [process.argv[0], resolved, ...args];
require(resolved);
