// The JS half of wasm/js/src/scratch.rs: hot calls write their ASCII arguments
// straight into one reused buffer in wasm memory and read short answers back.
// Identifiers are ASCII by rule, so anything else takes the ordinary path (and
// gets the same answer, an ERR_INVALID_IDENTIFIER).
import { scratch as reserve } from '../build/raw/tessera.js';

const MIN_BYTES = 4096;
let memory;
let view = new Uint8Array(0);
let base = 0;
let size = 0;

/** Called once with the instance's exports, by whichever entry point instantiated it. */
export function bind(exports) {
  memory = exports.memory;
}

function bytes() {
  // A grown memory detaches the old buffer (length 0): take a view of the new one.
  if (view.byteLength === 0) view = new Uint8Array(memory.buffer);
  return view;
}

/** Writes `a` then `b` at the buffer's start; false when either is not ASCII. */
export function putTwo(a, b) {
  const need = a.length + b.length;
  if (need > size) {
    size = Math.max(MIN_BYTES, need * 2);
    base = reserve(size);
    view = new Uint8Array(0);
  }
  const m = bytes();
  let p = base;
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (c > 0x7f) return false;
    m[p++] = c;
  }
  for (let i = 0; i < b.length; i++) {
    const c = b.charCodeAt(i);
    if (c > 0x7f) return false;
    m[p++] = c;
  }
  return true;
}

/** The ASCII text the last call left at `offset`. */
export function readAscii(offset, length) {
  const m = bytes();
  let s = '';
  for (let p = base + offset, end = p + length; p < end; p++) s += String.fromCharCode(m[p]);
  return s;
}

/** The byte the last call left at `offset`. */
export function readByte(offset) {
  return bytes()[base + offset];
}
