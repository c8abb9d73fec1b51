import * as tfl from '@tensorflow/tfjs-layers';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listDefenses } from '../../src/defenses/registry';
import { saveModel } from '../../src/io/file_handler';
import { tsbd } from '../helpers/run_cli';

/** 28x28x1 -> 'c' (Conv2D 4x4 stride 4, 3 filters, ReLU) -> flatten -> 'out' (Dense 10). */
function convNet(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 3, kernelSize: 4, strides: 4, activation: 'relu', name: 'c', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 10, activation: 'softmax', name: 'out', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
}

describe('tsbd defenses / tsbd purify --defense', () => {
  let dir: string;
  const purify = (out: string, ...more: string[]): string[] => [
    '--backend', 'cpu', 'purify', '--model', join(dir, 'm'), '--data', 'fashion-mnist-subset', '--clean-fraction', '0.005',
    '--seed', '2', '--out', join(dir, out), '--json', '--quiet', ...more,
  ];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsbd-defenses-'));
    const m = convNet();
    await saveModel(m, join(dir, 'm'));
    m.dispose();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists every registered defense with its options as JSON, and as text', async () => {
    const json = await tsbd('defenses', '--json');
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { defenses: { name: string; options: { name: string; default: unknown }[] }[] };
    expect(parsed.defenses.map((d) => d.name)).toEqual(listDefenses().map((d) => d.name));
    expect(parsed.defenses.find((d) => d.name === 'clp')?.options).toEqual([expect.objectContaining({ name: 'u', default: 3 })]);
    const text = await tsbd('defenses');
    expect(text.stdout).toMatch(/^fp\s+Fine-Pruning/m);
    expect(text.stdout).toMatch(/^ {4}u=3\s+number \[0, inf\]/m);
  });

  it('runs a registered defense, writes its report and prints one JSON object', async () => {
    const r = await tsbd(...purify('clp', '--defense', 'clp', '--option', 'u=0'));
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout) as { defense: string; chose: { channels: number }; seconds: { total: number } };
    expect(printed.defense).toBe('clp');
    expect(printed.chose.channels).toBe(3);
    const report = JSON.parse(readFileSync(join(dir, 'clp', 'report.json'), 'utf8')) as { options: { u: number }; cleanCount: number };
    expect(report.options.u).toBe(0);
    expect(report.cleanCount).toBeGreaterThan(0);
  });

  it('passes TSBD flags a defense has as its options (--epochs to ft)', async () => {
    const r = await tsbd(...purify('ft', '--defense', 'ft', '--epochs', '1'));
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { chose: { epochAccs: number[] } }).chose.epochAccs).toHaveLength(1);
  });

  it('refuses an unknown defense, a flag or option the defense lacks, and a malformed --option, with exit code 2', async () => {
    const unknown = await tsbd(...purify('x1', '--defense', 'nope'));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown defense 'nope'; known defenses: tsbd, ft/);
    const flag = await tsbd(...purify('x2', '--defense', 'clp', '--n', '0.3'));
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/defense 'clp' has no option 'n' \(given as a flag\); its options are: u/);
    const layers = await tsbd(...purify('x3', '--defense', 'ft', '--layers', 'conv'));
    expect(layers.stderr).toMatch(/--layers applies to --defense tsbd only/);
    const bad = await tsbd(...purify('x4', '--defense', 'clp', '--option', 'u'));
    expect(bad.stderr).toMatch(/--option expects name=value; received 'u'/);
    const kind = await tsbd(...purify('x5', '--defense', 'clp', '--option', 'u=three'));
    expect(kind.stderr).toMatch(/option 'u' expects number; received 'three'/);
  });
});
