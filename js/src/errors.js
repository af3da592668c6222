// Every refusal the package reports is a TesseraError with a stable `code`: the
// core's codes (docs/ERRORS.md), plus ERR_INVALID_ARGUMENT for a wrong JS type and
// ERR_FETCH for a snapshot download that failed.

/** An error with a stable machine-readable `code`. */
export class TesseraError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {string} [violation] for ERR_INVALID_IDENTIFIER: which part of the rule
   */
  constructor(code, message, violation) {
    super(message);
    this.name = 'TesseraError';
    this.code = code;
    if (violation !== undefined) this.violation = violation;
  }
}

/** Turns what the wasm module threw (the JSON text of a failure) into a TesseraError. */
export function translate(thrown) {
  if (typeof thrown === 'string' && thrown.startsWith('{')) {
    const { code, message, violation } = JSON.parse(thrown);
    return new TesseraError(code, message, violation);
  }
  return thrown;
}

export function invalidArgument(message) {
  return new TesseraError('ERR_INVALID_ARGUMENT', message);
}

export function requireString(value, name) {
  if (typeof value !== 'string') throw invalidArgument(`${name} must be a string, got ${typeof value}`);
}

/** Seconds since the Unix epoch: `now` when given (it must be finite), else the clock. */
export function seconds(options) {
  const now = options?.now;
  if (now === undefined) return Math.floor(Date.now() / 1000);
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw invalidArgument('`now` must be a finite number of seconds since the Unix epoch');
  }
  return now;
}

/** Snapshot bytes as a Uint8Array (Node's Buffer is one), from a Uint8Array or ArrayBuffer. */
export function bytesOf(value, name = 'snapshot') {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw invalidArgument(`${name} must be a Uint8Array or ArrayBuffer, got ${typeof value}`);
}
