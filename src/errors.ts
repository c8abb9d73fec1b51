/**
 * Errors thrown by tfjs-tsbd. Each has a stable `code` that scripts can switch on and a `details` record
 * with the offending values, so a message never has to be parsed.
 */
export type TsbdErrorCode = 'CONFIG' | 'DATA_SHAPE' | 'MODEL' | 'IO' | 'LEAK';

export class TsbdError extends Error {
  constructor(
    message: string,
    readonly code: TsbdErrorCode,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** An option is out of range or of the wrong kind. The message says what was expected and what was received. */
export class ConfigError extends TsbdError {
  constructor(message: string, details: Readonly<Record<string, unknown>> = {}) {
    super(message, 'CONFIG', details);
  }
}

/** Data does not fit: wrong shape, wrong number of classes, labels out of range, empty set. */
export class DataShapeError extends TsbdError {
  constructor(message: string, details: Readonly<Record<string, unknown>> = {}) {
    super(message, 'DATA_SHAPE', details);
  }
}

/** The model cannot be used as given: no scorable layer, NaN weights, unsupported output. */
export class ModelError extends TsbdError {
  constructor(message: string, details: Readonly<Record<string, unknown>> = {}) {
    super(message, 'MODEL', details);
  }
}

/**
 * Reading or writing files failed, or a path is refused (e.g. it exists and `force` is off). A write that failed
 * (disk full, permissions) has `details.op === 'write'`; the CLI exits 1 for it and 2 for the rest.
 */
export class IoError extends TsbdError {
  constructor(message: string, details: Readonly<Record<string, unknown>> = {}) {
    super(message, 'IO', details);
  }
}
