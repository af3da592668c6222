// The JS half of wasm/js/src/scratch.rs: hot calls write their arguments straight
// into one reused buffer in wasm memory and read short answers back. Identifiers
// are ASCII by rule, so a plain loop writes them (faster than a native call for a
// few dozen characters); tokens and anything beyond ASCII go through TextEncoder and
// reach the core as the same UTF-8 (which refuses a non-ASCII identifier with the
// same ERR_INVALID_IDENTIFIER as every other face).
import { scratch as reserve } from '../build/raw/tessera.js';

const MIN_BYTES = 4096;
/** Beyond this many UTF-16 units TextEncoder's copy beats the loop (measured: 250 in 170 ns, not 830). */
const LOOP_LIMIT = 64;
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

function reserveAtLeast(need) {
  if (need > size) {
    size = Math.max(MIN_BYTES, need * 2);
    base = reserve(size);
    view = new Uint8Array(0);
  }
}

/** Byte length of the second string of the last `putTwo`. */
export let secondLength = 0;

/**
 * Writes `a` then `b` as UTF-8 at the buffer's start; returns the byte length of `a`
 * (that of `b` is then in `secondLength`).
 */
export function putTwo(a, b) {
  if (a.length + b.length > LOOP_LIMIT) return putTwoUtf8(a, b);
  reserveAtLeast(a.length + b.length);
  const m = bytes();
  let p = base;
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (c > 0x7f) return putTwoUtf8(a, b);
    m[p++] = c;
  }
  for (let i = 0; i < b.length; i++) {
    const c = b.charCodeAt(i);
    if (c > 0x7f) return putTwoUtf8(a, b);
    m[p++] = c;
  }
  secondLength = b.length;
  return a.length;
}

const encoder = new TextEncoder();

/** `putTwo` for long text or text beyond ASCII: at most 3 bytes per UTF-16 unit. */
function putTwoUtf8(a, b) {
  reserveAtLeast(3 * (a.length + b.length));
  const first = encoder.encodeInto(a, bytes().subarray(base)).written;
  secondLength = encoder.encodeInto(b, bytes().subarray(base + first)).written;
  return first;
}

/**
 * The `\n`-separated ASCII lines the last call left at `offset`, `length` bytes in
 * all (read byte by byte: a few short fields, where `split` on a decoded string
 * costs twice as much).
 */
export function readLines(offset, length) {
  const m = bytes();
  const lines = [];
  let line = '';
  for (let p = base + offset, end = p + length; p < end; p++) {
    const c = m[p];
    if (c === 10) {
      lines.push(line);
      line = '';
    } else {
      line += String.fromCharCode(c);
    }
  }
  lines.push(line);
  return lines;
}

/** A copy of `length` bytes at `offset`. */
export function readBytes(offset, length) {
  return bytes().slice(base + offset, base + offset + length);
}

/** The byte the last call left at `offset`. */
export function readByte(offset) {
  return bytes()[base + offset];
}
