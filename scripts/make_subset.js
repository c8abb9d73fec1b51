// Regenerates data/fashion-mnist-subset/ from the full Fashion-MNIST (Debian's dataset-fashion-mnist, or $TSBD_DATA):
// per split, a seeded shuffle (Rng seed 0), then the first 800 (train) / 200 (test) images of each class, in
// shuffled order. Run: node --import tsx scripts/make_subset.js (it loads the TypeScript sources).
'use strict';
const { join } = require('node:path');
const { mkdirSync } = require('node:fs');
const { readIdxImageSet, writeIdx } = require('../src/data/idx');
const { Rng } = require('../src/internal/rng');

const src = process.env.TSBD_DATA || '/usr/share/datasets/fashion-mnist';
const out = join(__dirname, '..', 'data', 'fashion-mnist-subset');
mkdirSync(out, { recursive: true });

function pick(set, perClass, seed) {
  const perm = new Rng(seed).permutation(set.count);
  const taken = new Array(set.numClasses).fill(0);
  const chosen = [];
  for (const i of perm) {
    const l = set.labels[i];
    if (taken[l] < perClass) {
      taken[l]++;
      chosen.push(i);
    }
  }
  const per = set.height * set.width * set.channels;
  const images = new Uint8Array(chosen.length * per);
  const labels = new Uint8Array(chosen.length);
  chosen.forEach((i, k) => {
    images.set(set.images.subarray(i * per, (i + 1) * per), k * per);
    labels[k] = set.labels[i];
  });
  return { images, labels, count: chosen.length, h: set.height, w: set.width };
}

for (const [split, perClass] of [['train', 800], ['t10k', 200]]) {
  const full = readIdxImageSet(join(src, `${split}-images-idx3-ubyte.gz`), join(src, `${split}-labels-idx1-ubyte.gz`), 10);
  const s = pick(full, perClass, 0);
  writeIdx(join(out, `${split}-images-idx3-ubyte.gz`), [s.count, s.h, s.w], s.images, { gzip: true });
  writeIdx(join(out, `${split}-labels-idx1-ubyte.gz`), [s.count], s.labels, { gzip: true });
  console.log(`${split}: ${s.count} images`);
}
