// The JS half of the hot calls' calling convention (the table in wasm/js/src/lib.rs):
// inputs written back to back into one reused scratch buffer in wasm memory, one
// number back (the answer), and the output read as framed fields right after the
// inputs. Identifiers are ASCII by rule, so a plain loop writes and reads them (faster
// than a native call for a few dozen characters); anything beyond ASCII goes through
// TextEncoder/TextDecoder and reaches the core as the same UTF-8 (which refuses a
// non-ASCII identifier with the same ERR_INVALID_IDENTIFIER as every other face).
import { scratch } from '../build/raw/tessera.js';
import { invalidArgument } from './errors.js';

/** Room kept past the inputs for a call's output (fields of identifiers, a signature, claims). */
const OUTPUT_ROOM = 4096;
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

/** Largest scratch buffer asked for: far past any input the core accepts (a token is at most `maxTokenLength`). */
const MAX_BYTES = 1 << 30;

/** Makes the buffer hold `need` bytes of input plus `room` for the output. */
function reserveFor(need, room = OUTPUT_ROOM) {
  if (need + room > size) {
    const want = Math.max(2 * OUTPUT_ROOM, 2 * (need + room));
    const address = want <= MAX_BYTES ? scratch(want) : 0;
    if (address === 0) throw invalidArgument(`an input of ${need} bytes is more than the scratch buffer can hold`);
    size = want;
    base = address;
    view = new Uint8Array(0);
  }
}

/** Makes room for an output of up to `room` bytes after `inputLength` bytes of input. */
export function reserveOutput(inputLength, room) {
  reserveFor(inputLength, room);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

// Encoders: each writes one input at byte offset `at` and returns its length in bytes.

/**
 * Writes `text` as UTF-8 at `p` in `m` (room for 3 bytes per UTF-16 unit reserved by
 * the caller); returns the bytes written.
 */
function writeText(m, p, text) {
  const n = text.length;
  if (n <= LOOP_LIMIT) {
    let i = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) break;
      m[p + i] = c;
    }
    if (i === n) return n;
  }
  return encoder.encodeInto(text, m.subarray(p)).written;
}

/** Writes `text` as UTF-8. */
export function putString(text, at) {
  reserveFor(at + 3 * text.length);
  return writeText(bytes(), base + at, text);
}

/** Writes `items` as a framed list: each `u32 len` + UTF-8 (room reserved once, for the worst case). */
export function putList(items, at) {
  let worst = 0;
  for (const item of items) worst += 4 + 3 * item.length;
  reserveFor(at + worst);
  const m = bytes();
  const start = base + at;
  let p = start;
  for (const item of items) {
    const length = writeText(m, p + 4, item);
    m[p] = length & 0xff;
    m[p + 1] = (length >>> 8) & 0xff;
    m[p + 2] = (length >>> 16) & 0xff;
    m[p + 3] = length >>> 24;
    p += 4 + length;
  }
  return p - start;
}

// Decoders: of the answer, and of the output it announces.

/** The answer of a call that failed; its failure waits in `take_failure`. */
export const FAILED = 0xffffffff;

/** The answer's one-byte value. */
export const answerValue = (answer) => answer & 0xff;

/** Whether `can`, `check` or `authorize` allowed: bit 0 of the value. */
export const allowedOf = (answer) => (answer & 1) === 1;

/** `check`'s reason code: bits 1-7 of the value. */
export const reasonCodeOf = (answer) => (answer & 0xff) >>> 1;

/** A WebCrypto call's outcome for a valid (`invalid` false) or an invalid signature: bit 0 or 1 of the value. */
export const verdictFor = (answer, invalid) => ((answer >>> (invalid ? 1 : 0)) & 1) === 1;

/** The length in bytes of the output the answer announces. */
export const outputLength = (answer) => answer >>> 8;

function u32At(p) {
  const m = bytes();
  return (m[p] | (m[p + 1] << 8) | (m[p + 2] << 16) | (m[p + 3] << 24)) >>> 0;
}

/** The fields of `length` bytes of output at `at`, as [offset, length, offset, length, ...]. */
export function fieldSpans(at, length) {
  const spans = [];
  for (let p = at, end = at + length; p < end;) {
    const n = u32At(base + p);
    spans.push(p + 4, n);
    p += 4 + n;
  }
  return spans;
}

/** The text of `length` bytes at `at` (a short ASCII field by a loop, anything else by TextDecoder). */
export function textAt(at, length) {
  const m = bytes();
  const start = base + at;
  const utf8 = () => decoder.decode(m.subarray(start, start + length));
  if (length > LOOP_LIMIT) return utf8();
  let out = '';
  for (let p = start, end = start + length; p < end; p++) {
    const c = m[p];
    if (c > 0x7f) return utf8();
    out += String.fromCharCode(c);
  }
  return out;
}

/** Every field of `length` bytes of output at `at`, as text. */
export function readTexts(at, length) {
  const spans = fieldSpans(at, length);
  const texts = new Array(spans.length >> 1);
  for (let i = 0; i < texts.length; i++) texts[i] = textAt(spans[2 * i], spans[2 * i + 1]);
  return texts;
}

/** A copy of `length` bytes at `at`. */
export function bytesAt(at, length) {
  return bytes().slice(base + at, base + at + length);
}

/** The byte at `at`. */
export function byteAt(at) {
  return bytes()[base + at];
}
