import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { IoError } from '../errors';
import type { ImageSet } from './image_set';
import { readIdxImageSet } from './idx';

/** Where Debian's `dataset-fashion-mnist` package puts the IDX files. */
export const DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** The package root: the nearest directory above this file that holds package.json (src/data/ or dist/ alike). */
function packageRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new IoError(`cannot find the tfjs-tsbd package root above ${__dirname}`);
    dir = up;
  }
  return dir;
}

/** The committed 8,000 + 2,000 image subset. */
export function subsetDir(): string {
  return join(packageRoot(), 'data', 'fashion-mnist-subset');
}

function findFile(dir: string, name: string, tried: string[]): string | undefined {
  for (const candidate of [join(dir, `${name}.gz`), join(dir, name)]) {
    tried.push(candidate);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

function readDir(dir: string): { train: ImageSet; test: ImageSet } | { missing: string[] } {
  const tried: string[] = [];
  const paths = Object.fromEntries(Object.entries(FILES).map(([k, name]) => [k, findFile(dir, name, tried)])) as Record<keyof typeof FILES, string | undefined>;
  if (Object.values(paths).some((p) => p === undefined)) return { missing: tried };
  return {
    train: readIdxImageSet(paths.trainImages as string, paths.trainLabels as string, 10),
    test: readIdxImageSet(paths.testImages as string, paths.testLabels as string, 10),
  };
}

/**
 * Loads Fashion-MNIST as ImageSets.
 * - 'full': $TSBD_DATA if set, else Debian's /usr/share/datasets/fashion-mnist (`apt-get install dataset-fashion-mnist`);
 * - 'subset': the class-balanced 8,000 + 2,000 images committed under data/fashion-mnist-subset;
 * - 'auto': full when present, else the subset;
 * - any other string: a directory holding the four IDX files (raw or .gz).
 */
export function loadFashionMnist(source: 'auto' | 'full' | 'subset' | string = 'auto'): {
  train: ImageSet;
  test: ImageSet;
  source: string;
} {
  const fullDir = process.env['TSBD_DATA'] ?? DEBIAN_FASHION_MNIST;
  const attempts: [string, string][] =
    source === 'full'
      ? [[fullDir, `fashion-mnist (full, ${fullDir})`]]
      : source === 'subset'
        ? [[subsetDir(), 'fashion-mnist-subset']]
        : source === 'auto'
          ? [
              [fullDir, `fashion-mnist (full, ${fullDir})`],
              [subsetDir(), 'fashion-mnist-subset'],
            ]
          : [[resolve(source), resolve(source)]];
  const tried: string[] = [];
  for (const [dir, label] of attempts) {
    const r = readDir(dir);
    if ('missing' in r) {
      tried.push(...r.missing);
      continue;
    }
    return { ...r, source: label };
  }
  throw new IoError(`Fashion-MNIST IDX files not found; tried: ${tried.join(', ')}`, { tried });
}
