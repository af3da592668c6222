// Every refusal the package reports is a TesseraError with a stable `code`: the
// core's codes and the calling convention's (docs/ERRORS.md; `TesseraErrorCode` in
// index.d.ts lists them), plus ERR_FETCH for a snapshot download that failed.

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

/** The refusal of an argument of the wrong kind. */
export function invalidArgument(message) {
  return new TesseraError('ERR_INVALID_ARGUMENT', message);
}
