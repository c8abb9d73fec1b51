import * as tf from '@tensorflow/tfjs-core';
import { tsbd } from '../helpers/run_cli';

// `tsbd demo --json` takes minutes on its real settings; here the data, the model and purify's schedule are made
// tiny, and what is checked is the contract of --json: one JSON object on stdout, every progress line on stderr.
// (`npm run -s demo -- --json` adds npm, silenced by -s, and the build, sent to stderr by the script.)
jest.mock('../../src/data/fashion_mnist', () => {
  const real = jest.requireActual('../../src/data/fashion_mnist');
  const { subset } = jest.requireActual('../../src/data/image_set');
  const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  return {
    ...real,
    loadFashionMnist: (source: string) => {
      const full = real.loadFashionMnist(source);
      return { ...full, train: subset(full.train, range(200)), test: subset(full.test, range(60)) };
    },
  };
});
jest.mock('../../src/models/registry', () => {
  const real = jest.requireActual('../../src/models/registry');
  return { ...real, buildModel: (_arch: string, args: unknown) => real.buildModel('small-cnn', args) };
});
jest.mock('../../src/defenses/tsbd', () => {
  const real = jest.requireActual('../../src/defenses/tsbd');
  return {
    ...real,
    purify: (model: unknown, clean: unknown, options: Record<string, unknown>) =>
      real.purify(model, clean, {
        ...options,
        fraction: 0.2,
        unlearn: { maxEpochs: 1 },
        finetune: { epochs: 1 },
        extrapolate: { epochs: 1 },
      }),
  };
});

afterAll(() => tf.setBackend('cpu'));

it('demo --json prints exactly one JSON object on stdout and its progress on stderr', async () => {
  const r = await tsbd('--backend', 'wasm', 'demo', '--json', '--epochs', '1', '--clean-fraction', '0.2');
  expect(r.code).toBe(0);
  const lines = r.stdout.split('\n');
  expect(lines).toHaveLength(2); // one line, then the empty string after its newline
  expect(lines[1]).toBe('');
  const result = JSON.parse(lines[0] as string) as Record<string, unknown>;
  expect(Object.keys(result).sort()).toEqual(['after', 'backend', 'before', 'der', 'n', 'seconds']);
  expect(result['n']).toBe(0.2);
  expect(result['backend']).toBe('wasm');
  expect(r.stderr).toMatch(/backend wasm/);
  expect(r.stderr).toMatch(/attack epoch 1\/1/);
}, 180_000);
