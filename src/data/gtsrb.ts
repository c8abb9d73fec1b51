import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { DataShapeError, IoError } from '../errors';
import { decodeImage } from './decode_image';
import type { ImageSet } from './image_set';
import { ImageSetBuilder } from './image_set_builder';
import { cropImage, type ImageSize } from './resize_image';

/** Classes of the German Traffic Sign Recognition Benchmark. */
export const GTSRB_CLASSES = 43;
const TRAIN = join('Final_Training', 'Images');
const TEST = join('Final_Test', 'Images');
const TEST_CSV = 'GT-final_test.csv';

/** The GTSRB root (the folder holding Final_Training/Images): `dir` itself or its `GTSRB` folder, if either is. */
export function findGtsrbDir(dir: string): string | undefined {
  for (const d of [dir, join(dir, 'GTSRB')]) if (existsSync(join(d, TRAIN))) return d;
  return undefined;
}

interface GtsrbRow {
  file: string;
  box: { x1: number; y1: number; x2: number; y2: number };
  classId: number;
}

/** Parses a GT-*.csv annotation file: ';'-separated, a header row naming Filename, Roi.X1..Roi.Y2 and ClassId. */
function readAnnotations(path: string): GtsrbRow[] {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').split(';').map((h) => h.trim());
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) {
      throw new DataShapeError(`${path}: the header has no '${name}' column (found ${header.join(';')})`, { path, column: name });
    }
    return i;
  };
  const [file, x1, y1, x2, y2, classId] = ['Filename', 'Roi.X1', 'Roi.Y1', 'Roi.X2', 'Roi.Y2', 'ClassId'].map(col) as number[];
  return lines.slice(1).map((line, k) => {
    const f = line.split(';').map((s) => s.trim());
    const num = (i: number | undefined): number => {
      const v = Number(f[i as number]);
      if (f[i as number] === undefined || f[i as number] === '' || !Number.isInteger(v) || v < 0) {
        throw new DataShapeError(`${path}: row ${k + 2} has '${f[i as number] ?? ''}' in column ${header[i as number]}, expected an integer >= 0`, {
          path,
          row: k + 2,
        });
      }
      return v;
    };
    return {
      file: f[file as number] ?? '',
      box: { x1: num(x1), y1: num(y1), x2: num(x2), y2: num(y2) },
      classId: num(classId),
    };
  });
}

/** Decodes, crops and adds every row of `csv` (image files beside it). */
function addRows(builder: ImageSetBuilder, folder: string, csv: string, expectClass?: number): void {
  for (const row of readAnnotations(csv)) {
    const path = join(folder, row.file);
    if (expectClass !== undefined && row.classId !== expectClass) {
      throw new DataShapeError(`${csv}: ${row.file} has ClassId ${row.classId} inside the folder of class ${expectClass}`, { path: csv });
    }
    if (!existsSync(path)) throw new IoError(`${csv} lists ${row.file}, which is not in ${folder}`, { path });
    builder.add(cropImage(decodeImage(readFileSync(path), path), row.box, path), row.classId, path);
  }
}

/**
 * Loads GTSRB in its official layout: `Final_Training/Images/000NN/` (one folder per class, PPM images and their
 * `GT-000NN.csv`) and `Final_Test/Images/` (PPM images and `GT-final_test.csv`, the test annotations with ClassId,
 * published separately from the test images). Each image is cropped to its annotated region of interest and
 * resized to `size` (default 32x32, as the TSBD and BackdoorBench experiments use it). `dir` is the GTSRB folder
 * or the one above it. 43 classes, RGB.
 *
 * The ROI box is read as [Roi.X1, Roi.X2) x [Roi.Y1, Roi.Y2): the dataset's readme puts a border of at least 5
 * pixels around each sign, and the exclusive end gives the first training image (29x30, ROI 5,5,24,25) 5-pixel
 * borders on both sides.
 * @throws IoError for a missing folder, CSV or listed image; DataShapeError for a bad CSV row or image.
 */
export function loadGtsrb(dir: string, size: ImageSize = { height: 32, width: 32 }): { train: ImageSet; test: ImageSet } {
  const root = findGtsrbDir(dir);
  if (root === undefined) throw new IoError(`no GTSRB ${TRAIN} folder in ${dir} or ${join(dir, 'GTSRB')}`, { path: dir });
  const train = new ImageSetBuilder(GTSRB_CLASSES, size);
  const classDirs = readdirSync(join(root, TRAIN), { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^\d{5}$/.test(d.name))
    .map((d) => d.name)
    .sort();
  for (const name of classDirs) {
    const folder = join(root, TRAIN, name);
    const csv = join(folder, `GT-${name}.csv`);
    if (!existsSync(csv)) throw new IoError(`GTSRB class folder ${folder} has no GT-${name}.csv`, { path: csv });
    addRows(train, folder, csv, Number(name));
  }
  const testFolder = join(root, TEST);
  const testCsv = [join(testFolder, TEST_CSV), join(root, 'Final_Test', TEST_CSV), join(root, TEST_CSV)].find((p) => existsSync(p));
  if (!existsSync(testFolder) || testCsv === undefined) {
    throw new IoError(
      `GTSRB test split not found: want the images in ${testFolder} and ${TEST_CSV} (the test annotations with ClassId) there or in ${root}`,
      { path: testFolder },
    );
  }
  const test = new ImageSetBuilder(GTSRB_CLASSES, size);
  addRows(test, testFolder, testCsv);
  return { train: train.build(`GTSRB training split (${join(root, TRAIN)})`), test: test.build(`GTSRB test split (${testFolder})`) };
}
