// The core's sanitizer: the same rules and outputs as every other face.
import * as raw from '../build/raw/tessera.js';
import { requireString } from './arguments.js';
import { invalidArgument, translate } from './errors.js';

function maxLength(options) {
  const max = options?.maxLength;
  if (max === undefined) return undefined;
  if (!Number.isInteger(max) || max < 0 || max > 0xffffffff) {
    throw invalidArgument('`maxLength` must be a non-negative integer (bytes)');
  }
  return max;
}

/** Identifier rules, escaping, stripping and the injection detector. */
export const sanitize = Object.freeze({
  /**
   * Throws a TesseraError (ERR_INVALID_IDENTIFIER, with `violation`) unless `value`
   * follows the rule for `kind`: role, user, permission, pattern, client_key,
   * api_key_label, resource_type, action, resource_id, group, rule_id or attribute.
   */
  identifier(kind, value) {
    requireString(kind, 'kind');
    requireString(value, 'value');
    try {
      raw.validate_identifier(kind, value);
    } catch (e) {
      throw translate(e);
    }
  },
  /** HTML-escaped text, safe in element content and quoted attributes. */
  escape(text, options) {
    requireString(text, 'text');
    return raw.escape(text, maxLength(options));
  },
  /** Text with markup removed. */
  strip(text, options) {
    requireString(text, 'text');
    return raw.strip(text, maxLength(options));
  },
  /** What the detector finds: `[{ kind, offset }]`, offsets in UTF-8 bytes. */
  inspect(text) {
    requireString(text, 'text');
    return JSON.parse(raw.inspect(text));
  },
});
