import { cleanSet, type Defense } from '../../src/defenses/defense';
import { getDefense, listDefenses, registerDefense } from '../../src/defenses/registry';
import { ConfigError, DataShapeError } from '../../src/errors';
import * as root from '../../src';
import { toyModel, toySet } from './toy';

describe('defense registry', () => {
  it('lists every defense once, TSBD first, each with documented options', () => {
    const names = listDefenses().map((d) => d.name);
    expect(names[0]).toBe('tsbd');
    expect(new Set(names).size).toBe(names.length);
    for (const d of listDefenses()) {
      expect(d.summary.length).toBeGreaterThan(10);
      for (const o of d.options) expect(o.doc.length).toBeGreaterThan(5);
    }
    expect(getDefense('tsbd').options.find((o) => o.name === 'n')?.default).toBe('auto');
  });

  it('is what the package root exports (one registry, not a copy)', () => {
    expect(root.getDefense).toBe(getDefense);
    expect(root.listDefenses).toBe(listDefenses);
    expect(root.registerDefense).toBe(registerDefense);
    expect(root.cleanSet).toBe(cleanSet);
    expect(root.listDefenses().map((d) => d.name)).toEqual(
      expect.arrayContaining(['tsbd', 'ft', 'fp', 'nwc-fp', 'clp', 'ft-sam', 'nad', 'fst', 'rnp', 'anp', 'pam', 'i-bau', 'sau']),
    );
  });

  it('refuses a duplicate name, a name that is not kebab-case, and an unknown name', () => {
    const ft = getDefense('ft');
    expect(() => registerDefense(ft)).toThrow(/already registered/);
    expect(() => registerDefense({ ...ft, name: 'Bad_Name' } as Defense)).toThrow(ConfigError);
    expect(() => getDefense('nope')).toThrow(/unknown defense 'nope'; known defenses: tsbd, ft/);
  });

  it('refuses unknown options, wrong types and out-of-range values before any work, naming them', async () => {
    const model = toyModel();
    const clean = cleanSet(toySet(16, 1));
    const ft = getDefense('ft');
    await expect(ft.run(model, clean, { epoch: 2 })).rejects.toThrow(/defense 'ft' has no option 'epoch'; its options are: epochs, lr/);
    await expect(ft.run(model, clean, { epochs: 1.5 })).rejects.toThrow(/option 'epochs' must be an integer in \[1, Infinity\]; received 1.5/);
    await expect(ft.run(model, clean, { 'recalibrate-bn': 1 })).rejects.toThrow(/must be a boolean/);
    await expect(getDefense('tsbd').run(model, clean, { n: 'half' })).rejects.toThrow(/'auto' or a fraction in \[0, 1\]/);
    // A share that must be positive says so with an open bound, and refuses the bound itself.
    await expect(getDefense('tsbd').run(model, clean, { 'head-shift-rows': 0 })).rejects.toThrow(
      /option 'head-shift-rows' must be a number in \(0, 1\]; received 0/,
    );
    await expect(ft.run(model, clean, {}, { seed: -1 })).rejects.toThrow(ConfigError);
    model.dispose();
  });

  it('cleanSet validates the set, and the clean set must fit the model', async () => {
    const bad = { ...toySet(4, 1), count: 5 };
    expect(() => cleanSet(bad)).toThrow(DataShapeError);
    const model = toyModel();
    const threeClasses = cleanSet(toySet(8, 1, 3));
    await expect(getDefense('ft').run(model, threeClasses)).rejects.toThrow(/clean set has 3 classes but the model outputs 2/);
    model.dispose();
  });
});
