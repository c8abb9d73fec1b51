import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { loadAttack, saveAttack } from '../../src/attacks/attack_file';
import { badNets } from '../../src/attacks/badnets';
import { blended } from '../../src/attacks/blended';
import { lowFrequency } from '../../src/attacks/lf';
import { waNet } from '../../src/attacks/wanet';
import { IoError } from '../../src/errors';
import { flatSet } from './fixtures';

describe('attack.json and the assets saved beside it', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsbd-attack-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('re-creates each attack exactly: same config, same stamped bytes, assets checked by SHA-256', () => {
    const set = flatSet(4, 6, 6, 0, 4, 3);
    for (let i = 0; i < set.images.length; i++) set.images[i] = (i * 29) % 256;
    for (const attack of [badNets({ patchSize: 2, seed: 3 }), blended({ seed: 4 }), waNet({ seed: 5, mode: 'all-to-all' }), lowFrequency({ seed: 6 })]) {
      saveAttack(dir, attack, set, { psnr: 30 });
      const json = JSON.parse(readFileSync(join(dir, 'attack.json'), 'utf8')) as Record<string, unknown>;
      expect(json['psnr']).toBe(30);
      const assets = (json['assets'] ?? {}) as Record<string, { file: string; sha256: string }>;
      for (const { file, sha256 } of Object.values(assets)) {
        expect(sha256).toBe(createHash('sha256').update(readFileSync(join(dir, file))).digest('hex'));
      }
      const back = loadAttack(join(dir, 'attack.json'));
      expect(back.config()).toEqual(attack.config());
      expect(back.applyTrigger(set).images).toEqual(attack.applyTrigger(set).images);
      expect(back.poison(set).set.images).toEqual(attack.poison(set).set.images);
    }
  });

  it('uses the saved asset, not a fresh draw, and refuses a changed or missing asset file naming it', () => {
    const set = flatSet(1, 4, 4, 100);
    saveAttack(dir, blended({ seed: 1, alpha: 1 }), set);
    const json = JSON.parse(readFileSync(join(dir, 'attack.json'), 'utf8')) as { seed: number; assets: { pattern: { file: string } } };
    expect(json.assets.pattern.file).toBe('blended-pattern.bin');
    // another seed in the config: the stamp still comes from the saved file
    writeFileSync(join(dir, 'attack.json'), JSON.stringify({ ...json, seed: 2 }));
    expect(loadAttack(join(dir, 'attack.json')).applyTrigger(set).images).toEqual(blended({ seed: 1, alpha: 1 }).applyTrigger(set).images);
    const file = join(dir, 'blended-pattern.bin');
    const bytes = readFileSync(file);
    bytes[0] = (bytes[0] as number) ^ 1;
    writeFileSync(file, bytes);
    expect(() => loadAttack(join(dir, 'attack.json'))).toThrow(/blended-pattern.bin: SHA-256 [0-9a-f]{64} does not match/);
    rmSync(file);
    expect(() => loadAttack(join(dir, 'attack.json'))).toThrow(IoError);
    expect(() => loadAttack(join(dir, 'nothing.json'))).toThrow(/cannot read attack config/);
  });
});
