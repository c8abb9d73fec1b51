// `npm run lint:package`: checks the built package as a user receives it (run after `npm run build`).
// 1. The browser-safe entries (dist/index.mjs, dist/index.js) reach no Node built-in through their chunks.
// 2. publint reports nothing (no error, warning or suggestion) on the packed tarball.
// 3. Are-the-types-wrong reports no problem for any entry under node10, node16 (CJS and ESM) and bundler.
// Packs with --ignore-scripts: the build it checks is the one already in dist/.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const failures = [];

/** Module specifiers a built file imports or requires (static strings only; the bundler emits nothing else). */
function specifiers(file) {
  const code = readFileSync(file, 'utf8');
  const found = [];
  for (const re of [/\bfrom\s*"([^"]+)"/g, /\bimport\s*"([^"]+)"/g, /\brequire\(["']([^"']+)["']\)/g, /\bimport\("([^"]+)"\)/g]) {
    for (const m of code.matchAll(re)) found.push(m[1]);
  }
  return found;
}

for (const entry of ['index.mjs', 'index.js']) {
  const seen = new Set();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of specifiers(join(root, 'dist', file))) {
      if (spec.startsWith('./')) queue.push(spec.slice(2));
      else if (builtins.has(spec)) failures.push(`dist/${entry} reaches the Node module "${spec}" through dist/${file}`);
    }
  }
  console.log(`browser-safe: dist/${entry} and ${seen.size - 1} chunk(s) import no Node module`);
}

const dir = mkdtempSync(join(tmpdir(), 'tsbd-lint-'));
try {
  execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz')));

  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const { messages } = await publint({ pack: { tarball: new Uint8Array(readFileSync(tarball)).buffer }, level: 'suggestion', strict: true });
  for (const m of messages) failures.push(`publint ${m.type}: ${formatMessage(m, pkg)}`);
  console.log(`publint: ${messages.length} message(s)`);

  const attw = join(root, 'node_modules', '.bin', 'attw');
  try {
    execFileSync(attw, [tarball, '--format', 'ascii'], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    console.log('attw: no problems');
  } catch (err) {
    failures.push(`attw: ${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (failures.length > 0) {
  console.error(`lint:package found ${failures.length} problem(s):\n${failures.map((f) => `- ${f}`).join('\n')}`);
  process.exit(1);
}
