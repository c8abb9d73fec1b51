import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGtsrb } from '../../src/data/gtsrb';
import { DataShapeError, IoError } from '../../src/errors';
import { writePpm } from '../helpers/image_files';

const HEADER = 'Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId';

/** 8 wide, 6 high: a grey (50) border around the box x 2..5, y 1..4, where R = 16*(y-1) + 4*(x-2) and G = `g`. */
const sign = (g: number) => (r: number, c: number): [number, number, number] =>
  c >= 2 && c < 6 && r >= 1 && r < 5 ? [16 * (r - 1) + 4 * (c - 2), g, 7] : [50, 50, 50];

describe('loadGtsrb', () => {
  let root: string;
  let gtsrb: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tsbd-gtsrb-'));
    gtsrb = join(root, 'GTSRB');
    const train = join(gtsrb, 'Final_Training', 'Images');
    writePpm(join(train, '00000', '00000_00000.ppm'), 8, 6, sign(10));
    writePpm(join(train, '00000', '00000_00001.ppm'), 8, 6, sign(20));
    writeFileSync(join(train, '00000', 'GT-00000.csv'), `${HEADER}\n00000_00000.ppm;8;6;2;1;6;5;0\n00000_00001.ppm;8;6;2;1;6;5;0\n`);
    writePpm(join(train, '00042', '00000_00000.ppm'), 8, 6, sign(30));
    writeFileSync(join(train, '00042', 'GT-00042.csv'), `${HEADER}\r\n00000_00000.ppm;8;6;2;1;6;5;42\r\n`);
    const test = join(gtsrb, 'Final_Test', 'Images');
    writePpm(join(test, '00000.ppm'), 8, 6, sign(40));
    writeFileSync(join(test, 'GT-final_test.csv'), `${HEADER}\n00000.ppm;8;6;2;1;6;5;17\n`);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('crops each image to its ROI and resizes it (2x2: box means of the 4x4 ROI; 32x32 by default)', () => {
    const { train, test } = loadGtsrb(root, { height: 2, width: 2 });
    expect([train.count, train.height, train.width, train.channels, train.numClasses]).toEqual([3, 2, 2, 3, 43]);
    expect(Array.from(train.labels)).toEqual([0, 0, 42]);
    expect(Array.from(test.labels)).toEqual([17]);
    // ROI R values 0 4 8 12 / 16 20 24 28 / 32 ... : 2x2 means 10, 18, 42, 50 (the grey border never enters)
    expect(Array.from(train.images.subarray(0, 12))).toEqual([10, 10, 7, 18, 10, 7, 42, 10, 7, 50, 10, 7]);
    expect(Array.from(train.images.subarray(12, 15))).toEqual([10, 20, 7]);
    expect(Array.from(test.images.subarray(0, 3))).toEqual([10, 40, 7]);
    const full = loadGtsrb(gtsrb);
    expect([full.train.height, full.train.width, full.test.count]).toEqual([32, 32, 1]);
    // top-left output pixel samples ROI (-0.4375, -0.4375), clamped to ROI pixel (0, 0): R 0, never the border's 50
    expect(Array.from(full.train.images.subarray(0, 3))).toEqual([0, 10, 7]);
  });

  it('names a missing test CSV, a listed file that is absent, a bad row and a ClassId in the wrong folder', () => {
    const test = join(gtsrb, 'Final_Test', 'Images');
    rmSync(join(test, 'GT-final_test.csv'));
    expect(() => loadGtsrb(root)).toThrow(/GT-final_test.csv \(the test annotations with ClassId\)/);
    writeFileSync(join(test, 'GT-final_test.csv'), `${HEADER}\n00001.ppm;8;6;2;1;6;5;17\n`);
    expect(() => loadGtsrb(root)).toThrow(IoError);
    expect(() => loadGtsrb(root)).toThrow(/lists 00001.ppm/);
    writeFileSync(join(test, 'GT-final_test.csv'), `${HEADER}\n00000.ppm;8;6;2;1;x;5;17\n`);
    expect(() => loadGtsrb(root)).toThrow(/row 2 has 'x' in column Roi.X2/);
    writeFileSync(join(test, 'GT-final_test.csv'), 'Filename;Width;Height;ClassId\n00000.ppm;8;6;17\n');
    expect(() => loadGtsrb(root)).toThrow(/no 'Roi.X1' column/);
    writeFileSync(join(gtsrb, 'Final_Training', 'Images', '00042', 'GT-00042.csv'), `${HEADER}\n00000_00000.ppm;8;6;2;1;6;5;3\n`);
    expect(() => loadGtsrb(root)).toThrow(DataShapeError);
    expect(() => loadGtsrb(root)).toThrow(/has ClassId 3 inside the folder of class 42/);
    expect(() => loadGtsrb(test)).toThrow(/no GTSRB/);
  });
});
