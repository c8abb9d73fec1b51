import { loadFashionMnist } from '../../src/data/fashion_mnist';
import { IoError } from '../../src/errors';

describe('Fashion-MNIST', () => {
  it('the committed subset holds 8,000 + 2,000 class-balanced 28x28 images', () => {
    const { train, test, source } = loadFashionMnist('subset');
    expect(source).toBe('fashion-mnist-subset');
    expect([train.count, test.count, train.height, train.width, train.channels]).toEqual([8000, 2000, 28, 28, 1]);
    const perClass = (labels: Uint8Array): number[] => {
      const c = new Array<number>(10).fill(0);
      for (const l of labels) c[l] = (c[l] as number) + 1;
      return c;
    };
    expect(perClass(train.labels)).toEqual(new Array(10).fill(800));
    expect(perClass(test.labels)).toEqual(new Array(10).fill(200));
  });

  it('a directory without the IDX files is an IoError listing the paths tried', () => {
    expect(() => loadFashionMnist('/nonexistent-dir')).toThrow(IoError);
    expect(() => loadFashionMnist('/nonexistent-dir')).toThrow(/tried: \/nonexistent-dir\/train-images-idx3-ubyte.gz/);
  });
});
