#!/usr/bin/env bash
# The package as a user gets it: `npm pack` (its prepack builds dist/), then install the tarball into a fresh app
# beside tfjs, and check there that require and import work, that the types resolve under moduleResolution node16
# and bundler, that a tiny purify runs in Node and, bundled by esbuild, in headless Chromium on WebGL (Debian's
# chromium, or $CHROMIUM), and that `tsbd --version` prints the version. Offline-friendly: tfjs comes
# from npm's cache that `npm ci` filled (--prefer-offline). Run from the repository root: bash scripts/pack_install.sh
set -euo pipefail
root=$(pwd)
app=$(mktemp -d "${TMPDIR:-/tmp}/tsbd-pack-XXXXXX")
trap 'rm -rf "$app"' EXIT
version=$(node -p "require('./package.json').version")
tfjs=$(node -p "require('@tensorflow/tfjs-core/package.json').version")

echo "pack-install: npm pack (prepack builds dist/)"
npm pack --silent --pack-destination "$app" >/dev/null
tarball=$(ls "$app"/tfjs-tsbd-*.tgz)
files=$(tar -tzf "$tarball")
grep -qx 'package/LICENSE' <<<"$files" || { echo 'pack-install: LICENSE is not in the tarball' >&2; exit 1; }
if grep -q '\.map$' <<<"$files"; then echo 'pack-install: the tarball ships source maps' >&2; exit 1; fi
echo "pack-install: $(wc -l <<<"$files") files, $(du -k "$tarball" | cut -f1) KiB packed"

cd "$app"
echo '{ "name": "tsbd-app", "private": true, "type": "commonjs" }' > package.json
echo "pack-install: npm install the tarball + @tensorflow/tfjs-{core,layers,data,backend-cpu,backend-webgl}@$tfjs"
npm install --prefer-offline --no-audit --no-fund --silent "$tarball" \
  "@tensorflow/tfjs-core@$tfjs" "@tensorflow/tfjs-layers@$tfjs" "@tensorflow/tfjs-data@$tfjs" "@tensorflow/tfjs-backend-cpu@$tfjs" "@tensorflow/tfjs-backend-webgl@$tfjs"

echo "pack-install: require (CommonJS)"
cat > cjs.js <<'JS'
const assert = require('node:assert/strict');
const tsbd = require('tfjs-tsbd');
const node = require('tfjs-tsbd/node');
assert.equal(typeof tsbd.purify, 'function');
assert.equal(typeof node.loadModel, 'function');
// One copy of every class across the two entries: an error from tfjs-tsbd/node is a tfjs-tsbd TsbdError.
assert.throws(() => node.loadFashionMnist('/nonexistent-dir'), (e) => e instanceof tsbd.TsbdError && e.code === 'IO');
assert.equal(node.loadFashionMnist('subset').train.count, 8000); // the shipped subset is found from dist/
console.log('require: ok');
JS
node cjs.js

# The tiny purify, shared by Node and the browser: 6x6 images, 2 classes (class 1 bright on the left half, class 0
# on the right), a conv net, n = 0.25 of its 4 filters. Returns plain numbers to check.
cat > tiny.mjs <<'JS'
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { purify, TsbdEmitter } from 'tfjs-tsbd';

export async function tinyPurify() {
  const count = 32;
  const images = new Uint8Array(count * 36);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 2;
    for (let p = 0; p < 36; p++) images[i * 36 + p] = (labels[i] === 1) === (p % 6 < 3) ? 200 : 40;
  }
  const clean = { images, labels, count, height: 6, width: 6, channels: 1, numClasses: 2 };
  const model = tfl.sequential();
  model.add(tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 4, kernelSize: 3, activation: 'relu' }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 2, activation: 'softmax' }));
  let epochs = 0;
  const events = new TsbdEmitter().on('epochEnd', () => epochs++);
  const { model: purified, report } = await purify(model, clean, {
    fraction: 0.25, unlearn: { maxEpochs: 2, batchSize: 16 }, finetune: { epochs: 2, batchSize: 16 }, extrapolate: { epochs: 1 }, events,
  });
  const sum = tf.tidy(() => tf.sum(purified.predict(tf.zeros([1, 6, 6, 1]))).dataSync()[0]);
  return { backend: tf.getBackend(), fraction: report.fraction, neurons: report.neurons, totalNeurons: report.totalNeurons, epochs, sum };
}

/** What every run must show: n = 0.25 of the 4 conv filters is floor(1) neuron, epochs ran, outputs are softmax. */
export function checkTiny(r) {
  const bad = [];
  if (r.fraction !== 0.25 || r.totalNeurons !== 4 || r.neurons !== 1) bad.push(`n ${r.fraction}: ${r.neurons} of ${r.totalNeurons} neurons, expected 1 of 4`);
  if (r.epochs < 4) bad.push(`only ${r.epochs} epochEnd events`);
  if (!(Math.abs(r.sum - 1) < 1e-4)) bad.push(`softmax outputs sum to ${r.sum}`);
  if (bad.length > 0) throw new Error(`tiny purify on ${r.backend}: ${bad.join('; ')}`);
}
JS

echo "pack-install: import (ESM) and a tiny purify on the cpu backend"
cat > esm.mjs <<'JS'
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { writeFileAtomic } from 'tfjs-tsbd/node';
import { checkTiny, tinyPurify } from './tiny.mjs';

if (typeof writeFileAtomic !== 'function') throw new Error('tfjs-tsbd/node has no writeFileAtomic');
await tf.setBackend('cpu');
const r = await tinyPurify();
checkTiny(r);
console.log(`import + purify: ok (${JSON.stringify(r)})`);
JS
node esm.mjs

echo "pack-install: esbuild bundles tfjs-tsbd for the browser; the tiny purify in headless Chromium on WebGL"
cat > browser.mjs <<'JS'
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgl';
import { checkTiny, tinyPurify } from './tiny.mjs';

window.tiny = tf.setBackend('webgl').then(tinyPurify).then((r) => (checkTiny(r), r));
JS
"$root/node_modules/.bin/esbuild" browser.mjs --bundle --format=esm --platform=browser --minify --log-level=warning --outfile=bundle.js
echo "pack-install: browser bundle $(du -k bundle.js | cut -f1) KiB minified (tfjs-core, -layers, -backend-webgl and tfjs-tsbd)"
cat > chromium.mjs <<'JS'
import { readFileSync } from 'node:fs';
const { chromium } = await import(process.env.PLAYWRIGHT_CORE);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
});
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addScriptTag({ content: readFileSync('bundle.js', 'utf8'), type: 'module' });
  await page.waitForFunction(() => window.tiny !== undefined);
  const r = await page.evaluate(() => window.tiny);
  if (errors.length > 0) throw new Error(errors.join('\n'));
  if (r.backend !== 'webgl') throw new Error(`ran on ${r.backend}, not webgl`);
  console.log(`browser purify: ok (${JSON.stringify(r)})`);
} finally {
  await browser.close();
}
JS
PLAYWRIGHT_CORE="$root/node_modules/playwright-core/index.mjs" node chromium.mjs

echo "pack-install: types under moduleResolution node16 (CJS and ESM files) and bundler"
cat > types.ts <<'TS'
import * as tfl from '@tensorflow/tfjs-layers';
import { purify, type PurifyOptions, type PurifyResult } from 'tfjs-tsbd';
import { loadModel } from 'tfjs-tsbd/node';
const options: PurifyOptions = { fraction: 0.1 };
// @ts-expect-error: fraction is a number or 'auto' (fails as unused if the types resolved to any)
const bad: PurifyOptions = { fraction: 'half' };
export async function run(path: string): Promise<PurifyResult> {
  const model: tfl.LayersModel = await loadModel(path);
  const clean = { images: new Uint8Array(36), labels: new Uint8Array(1), count: 1, height: 6, width: 6, channels: 1, numClasses: 2 };
  return purify(model, clean, { ...options, ...bad });
}
TS
cp types.ts types.mts
tsc="$root/node_modules/.bin/tsc"
common=(--noEmit --strict --skipLibCheck --lib es2022,dom --types node --typeRoots "$root/node_modules/@types")
"$tsc" "${common[@]}" --module node16 --moduleResolution node16 types.ts types.mts
"$tsc" "${common[@]}" --module esnext --moduleResolution bundler types.ts
echo "types: ok"

echo "pack-install: tsbd --version"
got=$(npx --no-install tsbd --version)
[ "$got" = "$version" ] || { echo "pack-install: tsbd --version printed '$got', expected '$version'" >&2; exit 1; }
echo "tsbd --version: $got"
echo "pack-install: all checks passed"
