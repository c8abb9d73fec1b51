/**
 * The browser page: drop a layers model and clean IDX images, purify with TSBD, watch clean accuracy, download the
 * purified model (model.json + weights.bin, loadable by tf.loadLayersModel and `tsbd`) and the report. Bundled by
 * `npm run build:browser` (esbuild) into examples/browser/dist/. Backend: WebGL where the browser has it, else cpu;
 * `?backend=cpu` forces one. tfjs-tsbd leaves the backend alone and trains on whichever is active.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import * as tfl from '@tensorflow/tfjs-layers';
import { purify, TsbdEmitter, type ImageSet, type PurifyOptions, type PurifyReport } from 'tfjs-tsbd';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

import { parseIdx, type Idx } from './idx';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const files = new Map<string, File>();

function listFiles(): void {
  $('files').replaceChildren(
    ...[...files.values()].map((f) => Object.assign(document.createElement('li'), { textContent: `${f.name} (${f.size} bytes)` })),
  );
  const hasJson = [...files.keys()].some((n) => n.endsWith('.json'));
  $<HTMLButtonElement>('run').disabled = !(hasJson && files.size >= 4);
}

function addFiles(list: FileList | null): void {
  for (const f of list ?? []) files.set(f.name, f);
  listFiles();
}

/** The model JSON, the weight files its manifest names, and the rest (the IDX files). */
async function sortFiles(): Promise<{ json: File; weights: File[]; idx: File[] }> {
  const json = [...files.values()].find((f) => f.name.endsWith('.json'));
  if (json === undefined) throw new Error('no model.json among the dropped files');
  const manifest = (JSON.parse(await json.text()) as tf.io.ModelJSON).weightsManifest ?? [];
  const named = new Set(manifest.flatMap((g) => g.paths.map((p) => p.split('/').pop() as string)));
  const missing = [...named].filter((n) => !files.has(n));
  if (missing.length > 0) throw new Error(`model.json names weight files that were not dropped: ${missing.join(', ')}`);
  const rest = [...files.values()].filter((f) => f !== json && !named.has(f.name));
  return { json, weights: [...named].map((n) => files.get(n) as File), idx: rest };
}

/** Images (rank 3: N x H x W, or rank 4: N x H x W x C) and labels (rank 1) from the dropped IDX files. */
async function cleanSet(idxFiles: File[], numClasses: number): Promise<ImageSet> {
  const parsed: { name: string; idx: Idx }[] = [];
  for (const f of idxFiles) parsed.push({ name: f.name, idx: await parseIdx(f.name, new Uint8Array(await f.arrayBuffer())) });
  const images = parsed.find((p) => p.idx.dims.length >= 3);
  const labels = parsed.find((p) => p.idx.dims.length === 1);
  if (images === undefined || labels === undefined) throw new Error('drop two IDX files: images (rank 3 or 4) and labels (rank 1)');
  const [count, height, width, channels = 1] = images.idx.dims as [number, number, number, number?];
  return { images: images.idx.data, labels: labels.idx.data, count, height, width, channels, numClasses };
}

function readOptions(events: TsbdEmitter): PurifyOptions {
  const num = (id: string): number => Number($<HTMLInputElement>(id).value);
  const fraction = $<HTMLInputElement>('fraction').value.trim();
  return {
    fraction: fraction === 'auto' ? 'auto' : Number(fraction),
    unlearn: { maxEpochs: num('unlearnEpochs') },
    finetune: { epochs: num('finetuneEpochs') },
    extrapolate: { epochs: num('extrapolateEpochs') },
    seed: num('seed'),
    events,
  };
}

/** A live line plot of clean accuracy, one point per epoch of every phase (uPlot). */
function accuracyPlot(): (acc: number) => void {
  const xs: number[] = [];
  const ys: number[] = [];
  const plot = new uPlot(
    {
      width: Math.min(800, document.body.clientWidth),
      height: 260,
      title: 'clean accuracy per epoch',
      scales: { x: { time: false }, y: { range: [0, 1] } },
      series: [{ label: 'epoch' }, { label: 'clean accuracy', stroke: '#2a6fdb', width: 2 }],
    },
    [xs, ys],
    $('plot'),
  );
  return (acc) => {
    xs.push(xs.length + 1);
    ys.push(acc);
    plot.setData([xs, ys]);
  };
}

function downloadLink(name: string, data: BlobPart, type: string): HTMLAnchorElement {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([data], { type }));
  a.download = name;
  a.textContent = `download ${name}`;
  return a;
}

/** model.json + weights.bin of `model`, as tf.io's file layout (one weights shard). */
async function modelFiles(model: tfl.LayersModel): Promise<{ json: string; weights: ArrayBuffer }> {
  let files: { json: string; weights: ArrayBuffer } | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
        weightsManifest: [{ paths: ['./weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? 'TensorFlow.js',
        convertedBy: artifacts.convertedBy ?? null,
      };
      if (artifacts.trainingConfig !== undefined) json.trainingConfig = artifacts.trainingConfig;
      files = { json: JSON.stringify(json), weights };
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  if (files === undefined) throw new Error('the model could not be serialised');
  return files;
}

async function selectBackend(): Promise<string> {
  const wanted = new URLSearchParams(location.search).get('backend');
  for (const name of wanted !== null ? [wanted] : ['webgl', 'cpu']) {
    if (await tf.setBackend(name).catch(() => false)) break;
  }
  await tf.ready();
  return tf.getBackend();
}

async function run(): Promise<void> {
  $('error').textContent = '';
  $('downloads').replaceChildren();
  $<HTMLButtonElement>('run').disabled = true;
  try {
    const backend = await selectBackend();
    $('backend').textContent = `backend: ${backend}`;
    const { json, weights, idx } = await sortFiles();
    const model = await tfl.loadLayersModel(tf.io.browserFiles([json, ...weights]));
    const numClasses = model.outputs[0]?.shape.at(-1);
    if (typeof numClasses !== 'number') throw new Error('the model has no class dimension on its output');
    const clean = await cleanSet(idx, numClasses);

    const addPoint = accuracyPlot();
    const progress = $<HTMLProgressElement>('progress');
    const events = new TsbdEmitter()
      .on('phaseStart', (phase) => ($('phase').textContent = `${phase}…`))
      .on('epochEnd', (phase, epoch, max, _loss, acc) => {
        $('phase').textContent = `${phase}: epoch ${epoch}/${max}, clean accuracy ${acc.toFixed(3)}`;
        progress.value = epoch / max;
        addPoint(acc);
      })
      .on('warning', (message) => ($('error').textContent += `warning: ${message}\n`));
    const { model: purified, report } = await purify(model, clean, readOptions(events));
    model.dispose();
    progress.value = 1;
    $('phase').textContent = `done in ${report.seconds.total.toFixed(1)} s`;
    $('summary').textContent = summary(report, clean.count);
    const { json: modelJson, weights: weightData } = await modelFiles(purified);
    purified.dispose();
    $('downloads').replaceChildren(
      downloadLink('model.json', modelJson, 'application/json'),
      downloadLink('weights.bin', weightData, 'application/octet-stream'),
      downloadLink('report.json', `${JSON.stringify({ ...report, backend, cleanCount: clean.count }, null, 2)}\n`, 'application/json'),
    );
  } catch (err) {
    $('error').textContent += err instanceof Error ? err.message : String(err);
  } finally {
    $<HTMLButtonElement>('run').disabled = false;
  }
}

function summary(report: PurifyReport, count: number): string {
  const a = report.cleanAcc;
  return (
    `n = ${report.fraction} (${report.fractionSource}): ${report.neurons} of ${report.totalNeurons} neurons re-initialised. ` +
    `Clean accuracy on your ${count} images: ${a.before.toFixed(3)} before, ${a.afterUnlearn.toFixed(3)} after unlearning, ` +
    `${a.after.toFixed(3)} after purification.`
  );
}

const drop = $('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  addFiles(e.dataTransfer?.files ?? null);
});
$<HTMLInputElement>('pick').addEventListener('change', (e) => addFiles((e.target as HTMLInputElement).files));
$('run').addEventListener('click', () => void run());
