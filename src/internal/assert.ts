import { ConfigError } from '../errors';

/** Throws a ConfigError unless `ok`; the message is built only on failure. */
export function checkConfig(ok: boolean, message: () => string, details: Record<string, unknown> = {}): asserts ok {
  if (!ok) throw new ConfigError(message(), details);
}

/** Validates a number option: finite and within [min, max] (bounds inclusive unless stated). */
export function checkNumber(
  name: string,
  value: number,
  min: number,
  max: number,
  opts: { minExclusive?: boolean; maxExclusive?: boolean; integer?: boolean } = {},
): void {
  const lowOk = opts.minExclusive === true ? value > min : value >= min;
  const highOk = opts.maxExclusive === true ? value < max : value <= max;
  const intOk = opts.integer !== true || Number.isInteger(value);
  const lo = opts.minExclusive === true ? '(' : '[';
  const hi = opts.maxExclusive === true ? ')' : ']';
  checkConfig(
    typeof value === 'number' && Number.isFinite(value) && lowOk && highOk && intOk,
    () => `${name} must be ${opts.integer === true ? 'an integer' : 'a number'} in ${lo}${min}, ${max}${hi}; received ${String(value)}`,
    { option: name, received: value, min, max },
  );
}
