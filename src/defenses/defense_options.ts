import { ConfigError } from '../errors';
import type { DefenseOptions, OptionSpec, OptionValue } from './defense';

/** A defense's options with defaults filled in and every value checked against its {@link OptionSpec}. */
export class ResolvedOptions {
  private constructor(readonly values: Readonly<Record<string, OptionValue>>) {}

  /**
   * Checks `given` against `specs` and fills in defaults.
   * @throws ConfigError naming the defense and the option: an unknown name (listing the known ones), a wrong type,
   * a number out of its bounds.
   */
  static resolve(defense: string, specs: readonly OptionSpec[], given: DefenseOptions = {}): ResolvedOptions {
    const byName = new Map(specs.map((s) => [s.name, s]));
    for (const name of Object.keys(given)) {
      if (!byName.has(name)) {
        const known = specs.map((s) => s.name).join(', ') || '(none)';
        throw new ConfigError(`defense '${defense}' has no option '${name}'; its options are: ${known}`, { defense, option: name });
      }
    }
    const values: Record<string, OptionValue> = {};
    for (const s of specs) {
      const v = given[s.name] ?? s.default;
      checkValue(defense, s, v);
      values[s.name] = v;
    }
    return new ResolvedOptions(values);
  }

  /** A number or integer option. */
  number(name: string): number {
    const v = this.values[name];
    if (typeof v !== 'number') throw new ConfigError(`option '${name}' is not a number`, { option: name });
    return v;
  }

  /** A boolean option. */
  boolean(name: string): boolean {
    const v = this.values[name];
    if (typeof v !== 'boolean') throw new ConfigError(`option '${name}' is not a boolean`, { option: name });
    return v;
  }

  /** A 'boolean-or-auto' option. */
  booleanOrAuto(name: string): boolean | 'auto' {
    const v = this.values[name];
    if (v !== 'auto' && typeof v !== 'boolean') throw new ConfigError(`option '${name}' is not a boolean or 'auto'`, { option: name });
    return v;
  }

  /** A 'fraction-or-auto' or 'number-or-auto' option. */
  fractionOrAuto(name: string): number | 'auto' {
    const v = this.values[name];
    if (v !== 'auto' && typeof v !== 'number') throw new ConfigError(`option '${name}' is not a number or 'auto'`, { option: name });
    return v;
  }
}

function checkValue(defense: string, s: OptionSpec, v: OptionValue): void {
  const fail = (expected: string): never => {
    throw new ConfigError(`defense '${defense}': option '${s.name}' must be ${expected}; received ${JSON.stringify(v)}`, {
      defense,
      option: s.name,
      received: v,
    });
  };
  const lo = s.min ?? -Infinity;
  const open = s.minExclusive === true;
  const bounds = (): string => `in ${open ? '(' : '['}${lo}, ${s.max ?? 'Infinity'}]`;
  const inBounds = (x: number): boolean => Number.isFinite(x) && (open ? x > lo : x >= lo) && x <= (s.max ?? Infinity);
  switch (s.type) {
    case 'boolean':
      if (typeof v !== 'boolean') fail('a boolean');
      return;
    case 'boolean-or-auto':
      if (v !== 'auto' && typeof v !== 'boolean') fail("'auto', true or false");
      return;
    case 'integer':
      if (typeof v !== 'number' || !Number.isInteger(v) || !inBounds(v)) fail(`an integer ${bounds()}`);
      return;
    case 'number':
      if (typeof v !== 'number' || !inBounds(v)) fail(`a number ${bounds()}`);
      return;
    case 'fraction-or-auto':
      if (v !== 'auto' && (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1)) fail("'auto' or a fraction in [0, 1]");
      return;
    case 'number-or-auto':
      if (v !== 'auto' && (typeof v !== 'number' || !inBounds(v))) fail(`'auto' or a number ${bounds()}`);
      return;
  }
}

/**
 * Parses a command-line option value for `spec`: 'true'/'false' for booleans ('auto' too for boolean-or-auto),
 * 'auto' or a number for fraction-or-auto, a number otherwise. @throws ConfigError when the text is not of that kind.
 */
export function parseOptionText(defense: string, spec: OptionSpec, text: string): OptionValue {
  if (spec.type === 'boolean' || spec.type === 'boolean-or-auto') {
    if (text === 'true') return true;
    if (text === 'false') return false;
    if (text === 'auto' && spec.type === 'boolean-or-auto') return 'auto';
  } else if ((spec.type === 'fraction-or-auto' || spec.type === 'number-or-auto') && text === 'auto') {
    return 'auto';
  } else if (text.trim() !== '' && Number.isFinite(Number(text))) {
    return Number(text);
  }
  throw new ConfigError(`defense '${defense}': option '${spec.name}' expects ${spec.type === 'boolean' ? "'true' or 'false'" : spec.type === 'boolean-or-auto' ? "'auto', 'true' or 'false'" : spec.type}; received '${text}'`, {
    defense,
    option: spec.name,
    received: text,
  });
}
