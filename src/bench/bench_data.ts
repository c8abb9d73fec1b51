import type { ImageSet } from '../data/image_set';
import { loadData, seededSample } from '../cli/options';

/** The training and test splits of each `--data` spec a process has loaded, read once per process. */
export class BenchData {
  private readonly loaded = new Map<string, { train: ImageSet; test: ImageSet }>();

  /**
   * The splits of `dataset`; with `testSize`, the test split is cut to the first `testSize` images of a shuffle
   * seeded by 0 (the same images for every seed of the grid).
   */
  get(dataset: string, testSize: number | null): { train: ImageSet; test: ImageSet } {
    let d = this.loaded.get(dataset);
    if (d === undefined) {
      const { train, test } = loadData({ data: dataset, format: 'auto' });
      d = { train, test };
      this.loaded.set(dataset, d);
    }
    return { train: d.train, test: testSize === null ? d.test : seededSample(d.test, testSize, 0) };
  }
}
