import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, cleanModelConfig, configHash, expandGrid } from '../../src/bench/cell';
import { parseGrid } from '../../src/bench/grid';
import { ConfigError } from '../../src/errors';

const tiny = (): Record<string, unknown> => JSON.parse(readFileSync(join(__dirname, 'fixtures', 'tiny_grid.json'), 'utf8')) as Record<string, unknown>;

describe('parseGrid', () => {
  it('fills the defaults: target 0, batch 64, lr 0.002; names become {name, options: {}}', () => {
    const g = parseGrid(tiny());
    expect(g.target).toBe(0);
    expect(g.batchSize).toBe(64);
    expect(g.lr).toBe(0.002);
    expect(g.attacks).toEqual([{ name: 'badnets', options: {} }]);
    expect(g.defenses).toEqual([{ name: 'ft', options: { epochs: 1 } }, { name: 'clp', options: {} }]);
    expect(g.testSize).toBe(100);
  });

  it.each([
    [{ seedz: [1] }, /'seedz' must be one of the known fields/],
    [{ attacks: ['badnet'] }, /attacks\[0\]: unknown attack 'badnet'/],
    [{ defenses: ['ft', 'nope'] }, /defenses\[1\]: unknown defense 'nope'/],
    [{ archs: ['resnet'] }, /'archs\[0\]' must be one of preact-resnet-s/],
    [{ seeds: [] }, /'seeds' must be a non-empty array/],
    [{ seeds: [1, 1] }, /'seeds' must be free of repeated entries/],
    [{ poisonRates: [1.5] }, /'poisonRates\[0\]' must be a number in \[0, 1\]; received 1.5/],
    [{ cleanFraction: 0 }, /'cleanFraction' must be a number in/],
    [{ trainSize: 10.5 }, /'trainSize' must be an integer/],
    [{ epochs: undefined }, /'epochs' must be given/],
    [{ defenses: [{ name: 'ft', options: { epochs: [1] } }] }, /'defenses\[0\].options.epochs' must be a number, string or boolean/],
    [{ defenses: ['ft', { name: 'tsbd', options: { n: 1.5 } }] }, /grid: defenses\[1\]: defense 'tsbd': option 'n' must be 'auto' or a fraction in \[0, 1\]; received 1.5/],
    [{ defenses: [{ name: 'ft', options: { n: 0.3 } }] }, /grid: defenses\[0\]: defense 'ft' has no option 'n'/],
  ])('refuses %j with a ConfigError naming the field', (patch, message) => {
    const g = { ...tiny(), ...patch };
    expect(() => parseGrid(g)).toThrow(ConfigError);
    expect(() => parseGrid(g)).toThrow(message);
  });
});

describe('bench/fashion-mnist.json (the committed grid)', () => {
  it("parses, and has TSBD's auto cell plus fixed n 0.1, 0.3 and 0.5 for the curve over n: 3 seeds x 5 attacks x (1 + 17) cells", () => {
    const g = parseGrid(JSON.parse(readFileSync(join(__dirname, '..', '..', 'bench', 'fashion-mnist.json'), 'utf8')));
    const tsbd = g.defenses.filter((d) => d.name === 'tsbd');
    expect(tsbd).toEqual([{ name: 'tsbd', options: {} }, ...[0.1, 0.3, 0.5].map((n) => ({ name: 'tsbd', options: { n } }))]);
    expect(g.defenses).toHaveLength(19); // the 16 registered defenses and 3 fixed-n tsbd cells
    expect(expandGrid(g)).toHaveLength(300); // one reference cell and 19 defense cells per seed x attack
  });
});

describe('canonicalJson and configHash', () => {
  it('sorts keys at every depth and keeps array order (hand-written text)', () => {
    const text = '{"a":{"c":"x","d":[1,{"e":3,"f":2}]},"b":1}';
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: 'x' } })).toBe(text);
    // sha256sum of the text above, computed outside the package: 7f476cd9...
    expect(configHash({ a: { c: 'x', d: [1, { e: 3, f: 2 }] }, b: 1 })).toBe('7f476cd98965662c');
  });
});

describe('expandGrid', () => {
  it('makes reference + one cell per defense for each dataset x arch x seed x attack x rate, in that nesting', () => {
    const cells = expandGrid(parseGrid({ ...tiny(), seeds: [1, 2], attacks: ['badnets', 'blended'], poisonRates: [0.05, 0.1] }));
    expect(cells).toHaveLength(2 * 2 * 2 * 3); // seeds x attacks x rates x (reference + ft + clp)
    expect(cells.slice(0, 3).map((c) => [c.config.kind, c.config.defense?.name ?? null, c.config.row.seed, c.config.row.attack.name, c.config.row.rate])).toEqual([
      ['reference', null, 1, 'badnets', 0.05],
      ['defense', 'ft', 1, 'badnets', 0.05],
      ['defense', 'clp', 1, 'badnets', 0.05],
    ]);
    expect(cells[3]?.config.row.rate).toBe(0.1);
    expect(cells[6]?.config.row.attack.name).toBe('blended');
    expect(cells[12]?.config.row.seed).toBe(2);
    expect(new Set(cells.map((c) => c.hash)).size).toBe(cells.length);
    for (const c of cells) expect(c.hash).toBe(configHash(c.config));
  });

  it("hashes a cell's config as the hand-written canonical JSON (sha256sum, first 16 hex digits)", () => {
    const ft = expandGrid(parseGrid(tiny()))[1];
    const text =
      '{"cleanFraction":0.1,"defense":{"name":"ft","options":{"epochs":1}},"kind":"defense","retune":[2],"row":{"arch":"small-cnn",' +
      '"attack":{"name":"badnets","options":{}},"batchSize":64,"dataset":"fashion-mnist-subset","epochs":1,"lr":0.002,"rate":0.1,' +
      '"seed":1,"target":0,"testSize":100,"trainSize":200}}';
    expect(canonicalJson(ft?.config)).toBe(text);
    expect(ft?.hash).toBe('5b6f7452b7d76a1b');
  });

  it('gives the same hashes whatever the key order of grid.json, and a different one for any changed field', () => {
    const reversed = Object.fromEntries(Object.entries(tiny()).reverse());
    expect(expandGrid(parseGrid(reversed)).map((c) => c.hash)).toEqual(expandGrid(parseGrid(tiny())).map((c) => c.hash));
    const changed = expandGrid(parseGrid({ ...tiny(), epochs: 2 })).map((c) => c.hash);
    for (const h of expandGrid(parseGrid(tiny())).map((c) => c.hash)) expect(changed).not.toContain(h);
  });

  it('shares one clean-trained model key across the attacks and rates of a seed', () => {
    const cells = expandGrid(parseGrid({ ...tiny(), attacks: ['badnets', 'sig'], poisonRates: [0.05, 0.1] }));
    const clean = new Set(cells.map((c) => configHash(cleanModelConfig(c.config.row))));
    const attacked = new Set(cells.map((c) => configHash(c.config.row)));
    expect(clean.size).toBe(1);
    expect(attacked.size).toBe(4);
  });
});
