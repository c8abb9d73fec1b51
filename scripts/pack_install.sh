#!/usr/bin/env bash
# The package as a user gets it: `npm pack` (its prepack builds dist/), then install the tarball into a fresh app
# beside tfjs, and check there that require and import work, that the types resolve under moduleResolution node16
# and bundler, that a tiny purify runs, and that `tsbd --version` prints the version. Offline-friendly: tfjs comes
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
echo "pack-install: npm install the tarball + @tensorflow/tfjs-{core,layers,backend-cpu}@$tfjs"
npm install --prefer-offline --no-audit --no-fund --silent "$tarball" \
  "@tensorflow/tfjs-core@$tfjs" "@tensorflow/tfjs-layers@$tfjs" "@tensorflow/tfjs-backend-cpu@$tfjs"

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

echo "pack-install: import (ESM) and a tiny purify on the cpu backend"
cat > esm.mjs <<'JS'
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { purify, TsbdEmitter } from 'tfjs-tsbd';
import { writeFileAtomic } from 'tfjs-tsbd/node';

await tf.setBackend('cpu');
assert.equal(typeof writeFileAtomic, 'function');
// 6x6 images, 2 classes: class 1 bright on the left half, class 0 on the right.
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
assert.equal(report.fraction, 0.25);
assert.ok(report.neurons > 0, 'no neuron re-initialised');
assert.ok(epochs >= 2, `only ${epochs} epochEnd events`);
const p = purified.predict(tf.zeros([1, 6, 6, 1]));
assert.deepEqual(p.shape, [1, 2]);
assert.ok(Math.abs(tf.sum(p).dataSync()[0] - 1) < 1e-5);
console.log(`import + purify: ok (n = ${report.fraction}, ${report.neurons} neurons zeroed, ${epochs} epochs)`);
JS
node esm.mjs

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
