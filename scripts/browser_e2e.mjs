// End-to-end test of the browser page (examples/browser/) in headless Chromium (Debian's chromium, driven by
// playwright-core): a fixture model trained here and 200 clean Fashion-MNIST images as gzipped IDX files are dropped
// onto the page, it purifies them with a short setting, and the downloaded model is reloaded here and checked.
// Needs `npm run build` and `npm run build:browser` first (`npm run test:browser` does both); CHROMIUM overrides
// /usr/bin/chromium. Exits 1 with the reason on any failed check.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { chromium } from 'playwright-core';

import { backend, data } from '../dist/index.mjs';
import { loadFashionMnist, loadModel, saveModel, writeIdx } from '../dist/node.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const page = join(root, 'examples', 'browser');
const work = mkdtempSync(join(tmpdir(), 'tsbd-browser-'));
const CLEAN = 200;
const t0 = performance.now();
const log = (s) => console.log(`browser-e2e [${((performance.now() - t0) / 1000).toFixed(1)} s] ${s}`);

/** The fixture: a small conv net trained briefly on 1,000 subset images, saved as model.json + weights.bin. */
async function fixture() {
  await backend.selectBackend('wasm');
  const { train, test } = loadFashionMnist('subset');
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed: 1 }) }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const part = data.subset(train, Array.from({ length: 1000 }, (_, i) => i));
  const [x, y] = tf.tidy(() => [tf.div(tf.tensor4d(part.images, [1000, 28, 28, 1], 'float32'), 255), tf.tensor1d(part.labels, 'float32')]);
  await model.fit(x, y, { epochs: 3, batchSize: 50, shuffle: false, verbose: 0 });
  tf.dispose([x, y]);
  await saveModel(model, join(work, 'fixture'));
  const clean = data.subset(test, Array.from({ length: CLEAN }, (_, i) => i));
  writeIdx(join(work, 'clean-images-idx3-ubyte.gz'), [CLEAN, 28, 28], clean.images, { gzip: true });
  writeIdx(join(work, 'clean-labels-idx1-ubyte.gz'), [CLEAN], clean.labels, { gzip: true });
  const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
  model.dispose();
  return { clean, weights };
}

/** Serves examples/browser/ (index.html and the esbuild output in dist/). */
function serve() {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://localhost');
    const path = normalize(join(page, pathname === '/' ? 'index.html' : pathname));
    let body;
    try {
      body = path.startsWith(page) ? readFileSync(path) : undefined;
    } catch {
      body = undefined;
    }
    if (body === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' }).end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Accuracy of `model` on `set` (pixels scaled to [0, 1], as the page's purify does by default). */
function accuracy(model, set) {
  return tf.tidy(() => {
    const x = tf.div(tf.tensor4d(set.images, [set.count, set.height, set.width, set.channels], 'float32'), 255);
    const hits = tf.sum(tf.cast(tf.equal(tf.argMax(model.predict(x), -1), tf.tensor1d(set.labels, 'int32')), 'int32')).dataSync()[0];
    return hits / set.count;
  });
}

let browser;
let server;
try {
  const { clean, weights: fixtureWeights } = await fixture();
  log('fixture model and clean IDX files written');
  server = await serve();
  const url = `http://127.0.0.1:${server.address().port}/${process.env.TSBD_BROWSER_BACKEND ? `?backend=${process.env.TSBD_BROWSER_BACKEND}` : ''}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });
  const context = await browser.newContext({ acceptDownloads: true });
  const tab = await context.newPage();
  const consoleErrors = [];
  tab.on('pageerror', (e) => consoleErrors.push(String(e)));
  await tab.goto(url);
  await tab.setInputFiles('#pick', [join(work, 'fixture', 'model.json'), join(work, 'fixture', 'weights.bin'),
    join(work, 'clean-images-idx3-ubyte.gz'), join(work, 'clean-labels-idx1-ubyte.gz')]);
  assert.equal(await tab.locator('#files li').count(), 4);
  await tab.fill('#fraction', '0.25');
  await tab.fill('#unlearnEpochs', '3');
  await tab.fill('#finetuneEpochs', '3');
  await tab.fill('#extrapolateEpochs', '1');
  await tab.click('#run');
  log('purifying in the page');
  await tab.waitForFunction(() => document.querySelectorAll('#downloads a').length === 3 || document.getElementById('error').textContent !== '', null, { timeout: 300_000 });
  const error = await tab.textContent('#error');
  assert.equal(error, '', `the page reported: ${error}`);
  assert.deepEqual(consoleErrors, []);
  const used = (await tab.textContent('#backend')).replace('backend: ', '');
  log(`purified on the page's ${used} backend: ${await tab.textContent('#summary')}`);
  // WebGL (SwiftShader's software GL in headless Chromium) unless a backend was forced: the browser user's case.
  assert.equal(used, process.env.TSBD_BROWSER_BACKEND ?? 'webgl');
  assert.equal(await tab.evaluate(() => document.getElementById('progress').value), 1);
  assert.ok((await tab.locator('#plot canvas').count()) >= 1, 'no accuracy plot was drawn');

  const out = join(work, 'downloaded');
  for (const name of ['model.json', 'weights.bin', 'report.json']) {
    const [download] = await Promise.all([tab.waitForEvent('download'), tab.click(`#downloads a[download="${name}"]`)]);
    assert.equal(download.suggestedFilename(), name);
    await download.saveAs(join(out, name));
  }
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  assert.equal(report.backend, used);
  assert.equal(report.fraction, 0.25);
  assert.equal(report.cleanCount, CLEAN);
  // 4 conv filters are ranked (the Dense head is not, by default); n = 0.25 re-initialises floor(0.25 * 4) = 1.
  assert.equal(report.totalNeurons, 4);
  assert.equal(report.neurons, 1);
  assert.equal(report.cleanAcc.finetuneEpochs.length, 3);

  // Reload the download here (tfjs-tsbd/node, cpu backend) and check it is the purified model the page reported.
  await backend.selectBackend('cpu');
  const reloaded = await loadModel(out);
  const acc = accuracy(reloaded, clean);
  log(`reloaded: clean accuracy ${acc} here, ${report.cleanAcc.after} in the page`);
  // The page's backend rounds differently from cpu: allow 2 of the 200 images to fall the other way.
  assert.ok(Math.abs(acc - report.cleanAcc.after) <= 2 / CLEAN, `accuracy ${acc} here vs ${report.cleanAcc.after} in the page`);
  assert.ok(acc > 0.5, `the purified model's clean accuracy ${acc} is near chance (0.1)`);
  const changed = reloaded.getWeights().some((w, i) => w.dataSync().some((v, j) => v !== fixtureWeights[i][j]));
  assert.ok(changed, 'the downloaded weights equal the fixture: nothing was purified');
  reloaded.dispose();
  log('all checks passed');
} catch (err) {
  console.error(`browser-e2e: FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  await browser?.close();
  server?.close();
  rmSync(work, { recursive: true, force: true });
}
