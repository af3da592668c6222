// The checks every public method makes of its JS arguments before the core sees
// them: a wrong type is ERR_INVALID_ARGUMENT, never a coercion.
import { invalidArgument } from './errors.js';

/** Refuses anything but a string. */
export function requireString(value, name) {
  if (typeof value !== 'string') throw invalidArgument(`${name} must be a string, got ${typeof value}`);
}

/** Seconds since the Unix epoch: `options.now` when given (it must be finite), else the clock. */
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

/** A resource as `{ type, id }`, from that object or from `'type:id'` (split at the first colon). */
export function resourceOf(resource) {
  if (typeof resource === 'string') {
    const colon = resource.indexOf(':');
    if (colon < 0) throw invalidArgument(`resource \`${resource}\` is not \`type:id\``);
    return { type: resource.slice(0, colon), id: resource.slice(colon + 1) };
  }
  if (resource === null || typeof resource !== 'object') {
    throw invalidArgument('resource must be `type:id` or an object `{ type, id }`');
  }
  requireString(resource.type, 'resource.type');
  requireString(resource.id, 'resource.id');
  return { type: resource.type, id: resource.id };
}

/** Request attributes `{ subject?, resource?, action?, context? }`, or undefined. */
export function attributesOf(attributes) {
  if (attributes === undefined) return undefined;
  if (attributes === null || typeof attributes !== 'object' || Array.isArray(attributes)) {
    throw invalidArgument('attributes must be an object `{ subject?, resource?, action?, context? }`');
  }
  return attributes;
}
