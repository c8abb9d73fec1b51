// Writes dist/esm/index.mjs: a thin ESM face over the CommonJS build, so `import` and `require` share one copy of
// every class (one tfjs registration, one instanceof identity). Named exports are read from the built CJS module.
'use strict';
const { mkdirSync, writeFileSync, renameSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const cjs = require(join(root, 'dist', 'cjs', 'index.js'));
const names = Object.keys(cjs).filter((n) => n !== 'default' && n !== '__esModule');
const body =
  "import cjs from '../cjs/index.js';\n" +
  names.map((n) => `export const ${n} = cjs.${n};\n`).join('') +
  'export default cjs;\n';
const dir = join(root, 'dist', 'esm');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'index.mjs.tmp'), body);
renameSync(join(dir, 'index.mjs.tmp'), join(dir, 'index.mjs'));
