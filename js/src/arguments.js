// The checks every public method makes of its JS arguments before the core sees
// them: a wrong type is ERR_INVALID_ARGUMENT, never a coercion.
import { TesseraError, invalidArgument } from './errors.js';

/** Refuses anything but a string. */
export function requireString(value, name) {
  if (typeof value !== 'string') throw invalidArgument(`${name} must be a string, got ${typeof value}`);
}

/** Seconds since the Unix epoch: `options.now` when given (it must be finite), else the clock. */
export function seconds(options, clock) {
  const given = options?.now;
  if (given !== undefined) {
    if (typeof given !== 'number' || !Number.isFinite(given)) {
      throw invalidArgument('`now` must be a finite number of seconds since the Unix epoch');
    }
    return Math.floor(given);
  }
  // A clock that fails is the authorizer's configuration at fault, not the call's
  // arguments: ERR_OPTIONS, so that no face reports it as the caller's mistake.
  let now;
  try {
    now = clock();
  } catch {
    throw new TesseraError('ERR_OPTIONS', 'the `clock` option threw');
  }
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new TesseraError('ERR_OPTIONS', 'the `clock` option must return a finite number of seconds since the Unix epoch');
  }
  return Math.floor(now);
}

/** Snapshot bytes as a Uint8Array (Node's Buffer is one), from a Uint8Array or ArrayBuffer. */
export function bytesOf(value, name = 'snapshot') {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw invalidArgument(`${name} must be a Uint8Array or ArrayBuffer, got ${typeof value}`);
}

/** Attributes (`properties`, a context): a plain object, or undefined. */
export function propertiesOf(value, name) {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgument(`${name} must be an object of attributes`);
  }
  return value;
}

/** A subject: a user id, or `{ id, properties? }` (AuthZEN's shape). */
export function subjectOf(subject, name = 'user') {
  if (typeof subject === 'string') return { id: subject };
  if (subject === null || typeof subject !== 'object') throw invalidArgument(`${name} must be a string or \`{ id, properties? }\``);
  requireString(subject.id, `${name}.id`);
  return { id: subject.id, properties: propertiesOf(subject.properties, `${name}.properties`) };
}

/** An action: its name, or `{ name, properties? }`. */
export function actionOf(action, name = 'action') {
  if (typeof action === 'string') return { name: action };
  if (action === null || typeof action !== 'object') throw invalidArgument(`${name} must be a string or \`{ name, properties? }\``);
  requireString(action.name, `${name}.name`);
  return { name: action.name, properties: propertiesOf(action.properties, `${name}.properties`) };
}

/** A resource: `'type:id'` (split at the first colon) or `{ type, id, properties? }`. */
export function resourceOf(resource) {
  if (typeof resource === 'string') {
    const colon = resource.indexOf(':');
    if (colon < 0) throw invalidArgument(`resource \`${resource}\` is not \`type:id\``);
    return { type: resource.slice(0, colon), id: resource.slice(colon + 1) };
  }
  if (resource === null || typeof resource !== 'object') {
    throw invalidArgument('resource must be `type:id` or an object `{ type, id, properties? }`');
  }
  requireString(resource.type, 'resource.type');
  requireString(resource.id, 'resource.id');
  return { type: resource.type, id: resource.id, properties: propertiesOf(resource.properties, 'resource.properties') };
}

/**
 * The request attributes the core reads (`{ subject?, resource?, action?, context? }`)
 * from the properties of a subject, resource and action and a context; undefined
 * when there are none.
 */
export function requestAttributes(subject, action, resource, context) {
  const out = {};
  if (subject?.properties !== undefined) out.subject = subject.properties;
  if (resource?.properties !== undefined) out.resource = resource.properties;
  if (action?.properties !== undefined) out.action = action.properties;
  if (context !== undefined) out.context = propertiesOf(context, 'context');
  return Object.keys(out).length === 0 ? undefined : out;
}
