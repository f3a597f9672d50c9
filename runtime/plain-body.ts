/**
 * Validation without the copy, for plain schemas. zod's `safeParse` builds a fresh copy of
 * every body it accepts; for a body of a million queued tells that copy is most of the
 * garbage. For a schema made only of plain parts (objects in strip or strict mode, strings,
 * finite numbers, safe integers, booleans, string enums, arrays, optional and nullable of
 * those; no checks, refinements, transforms, defaults or coercion), the copy zod returns for an
 * accepted body holds exactly the body's own data in the same key order, so the body itself
 * can be kept.
 *
 * `plainCheck(schema)` compiles such a schema once (at `defineActor`) into a predicate; it
 * returns null for any other schema. The predicate is conservative: `true` means zod would
 * accept the body and return an equal copy (same keys, same order, same values, plain
 * prototypes); `false` means "ask zod", which then accepts or rejects with its own issues.
 * What the handler gets differs from zod's copy only in what zod does not read as data: it is
 * the sender's object itself (treat messages as immutable, as everywhere in troupe), and it
 * keeps symbol keys, non-enumerable properties and accessors that zod would have dropped or
 * read once. Bodies from the wire are plain decoded data, where none of that exists.
 */
export type BodyCheck = (body: unknown) => boolean;

interface Def {
  readonly type?: unknown;
  readonly checks?: readonly { readonly _zod?: { readonly def?: Record<string, unknown> } }[];
  readonly [k: string]: unknown;
}

function defOf(schema: unknown): Def | null {
  if (typeof schema !== 'object' || schema === null) return null;
  const z = (schema as { _zod?: { def?: unknown } })._zod;
  const def = z?.def;
  return typeof def === 'object' && def !== null ? (def as Def) : null;
}

/** Every key of `def` is one of `allowed` (a key we do not know may change the output). */
function onlyKeys(def: Def, allowed: readonly string[]): boolean {
  for (const k of Object.keys(def)) {
    if (!allowed.includes(k) && def[k] !== undefined) return false;
  }
  return true;
}

const noChecks = (def: Def): boolean => def.checks === undefined || def.checks.length === 0;

const isFiniteNumber: BodyCheck = (v) => typeof v === 'number' && Number.isFinite(v);
const isSafeInt: BodyCheck = (v) => Number.isSafeInteger(v);
const isString: BodyCheck = (v) => typeof v === 'string';
const isBoolean: BodyCheck = (v) => typeof v === 'boolean';

/** A safe-integer format check, as `z.number().int()` and `z.int()` record it. */
function isSafeIntCheck(d: Record<string, unknown> | undefined): boolean {
  return d !== undefined && d.check === 'number_format' && d.format === 'safeint';
}

function compileNumber(def: Def): BodyCheck | null {
  if (def.coerce === true) return null;
  // z.int(): the format check is the schema's own def.
  if (def.check !== undefined) {
    if (!isSafeIntCheck(def) || !noChecks(def)) return null;
    if (!onlyKeys(def, ['type', 'check', 'abort', 'format', 'checks', 'coerce'])) return null;
    return isSafeInt;
  }
  if (!onlyKeys(def, ['type', 'checks', 'coerce'])) return null;
  if (noChecks(def)) return isFiniteNumber;
  if (def.checks!.length === 1 && isSafeIntCheck(def.checks![0]?._zod?.def)) return isSafeInt;
  return null;
}

function compileEnum(def: Def): BodyCheck | null {
  if (!onlyKeys(def, ['type', 'entries'])) return null;
  const entries = def.entries;
  if (typeof entries !== 'object' || entries === null) return null;
  const values = Object.values(entries);
  // Numeric (native) enums have reverse mappings zod filters out: only plain string enums.
  if (values.length === 0 || values.some((v) => typeof v !== 'string')) return null;
  const set = new Set(values);
  return (v) => typeof v === 'string' && set.has(v);
}

function compileArray(def: Def, depth: number): BodyCheck | null {
  if (!onlyKeys(def, ['type', 'element', 'checks']) || !noChecks(def)) return null;
  // An optional element would turn a hole into an explicit undefined in zod's copy.
  if ((def.element as { _zod?: { optin?: unknown } } | null)?._zod?.optin === 'optional')
    return null;
  const check = compile(def.element, depth + 1);
  if (check === null) return null;
  return (v) => {
    if (!Array.isArray(v) || Object.getPrototypeOf(v) !== Array.prototype) return false;
    for (let i = 0; i < v.length; i++) if (!check(v[i])) return false;
    return true;
  };
}

function compileObject(def: Def, depth: number): BodyCheck | null {
  if (!onlyKeys(def, ['type', 'shape', 'catchall', 'checks']) || !noChecks(def)) return null;
  // Strip (no catchall) and strict (never) both accept exactly the shape's keys; a loose
  // object keeps extra keys in an order of its own.
  if (def.catchall !== undefined && defOf(def.catchall)?.type !== 'never') return null;
  const shape = def.shape;
  if (typeof shape !== 'object' || shape === null) return null;
  const keys = Object.keys(shape);
  if (keys.includes('__proto__')) return null;
  const n = keys.length;
  const checks: BodyCheck[] = [];
  const optional: boolean[] = [];
  for (const k of keys) {
    const s = (shape as Record<string, unknown>)[k];
    const c = compile(s, depth + 1);
    if (c === null) return null;
    checks.push(c);
    // zod's own notion: a key may be missing when its schema's input is optional (an
    // optional wrapped in nullable too).
    optional.push((s as { _zod?: { optin?: unknown } })._zod?.optin === 'optional');
  }
  const inlined =
    !optional.includes(true) && n <= MAX_INLINE_KEYS ? inlineObject(keys, checks) : null;
  if (inlined !== null) return inlined;
  return (v) => {
    if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype)
      return false;
    // The body's keys must be the shape's, in the shape's order (zod's copy follows the
    // shape), with only optional ones missing.
    let j = 0;
    for (const k in v) {
      while (j < n && keys[j] !== k) {
        if (!optional[j]) return false;
        j++;
      }
      if (j === n) return false;
      if (!checks[j]!((v as Record<string, unknown>)[k])) return false;
      j++;
    }
    for (; j < n; j++) if (!optional[j]) return false;
    return true;
  };
}

/** Most keys an object check is generated for; larger shapes use the general loop. */
const MAX_INLINE_KEYS = 32;

/** Leaf checks a generated object check writes out as an expression on `x`. */
const INLINE = new Map<BodyCheck, string>([
  [isFiniteNumber, "typeof x === 'number' && Number.isFinite(x)"],
  [isSafeInt, 'Number.isSafeInteger(x)'],
  [isString, "typeof x === 'string'"],
  [isBoolean, "typeof x === 'boolean'"],
]);

/**
 * The check of an object whose keys are all required, as one generated function: its keys in
 * order, then each field read by name with its leaf test written out (other fields call their
 * own check). A closure per field and a lookup per key were most of a validated tell's cost.
 * Keys reach the code only as JSON string literals, so no key can change what it does. Null
 * where code generation is off (`--disallow-code-generation-from-strings`).
 */
function inlineObject(keys: readonly string[], checks: readonly BodyCheck[]): BodyCheck | null {
  const fields = keys.map((k, j) => {
    const leaf = INLINE.get(checks[j]!);
    const test = leaf ?? `c[${j}](x)`;
    return `  x = v[${JSON.stringify(k)}];\n  if (!(${test})) return false;`;
  });
  const body = [
    "if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype)",
    '  return false;',
    // The body's own keys must be exactly the shape's, in its order (zod's copy follows it).
    'let j = 0;',
    'for (const k in v) {',
    `  if (j === ${keys.length} || k !== keys[j]) return false;`,
    '  j++;',
    '}',
    `if (j !== ${keys.length}) return false;`,
    'let x;',
    ...fields,
    'return true;',
  ].join('\n');
  try {
    const make = new Function(
      'keys',
      'c',
      `'use strict';\nreturn function plainObject(v) {\n${body}\n};`,
    );
    return make(keys.slice(), checks.slice()) as BodyCheck;
  } catch {
    return null;
  }
}

function compile(schema: unknown, depth: number): BodyCheck | null {
  // Deep (or recursive, through getters) schemas are left to zod.
  if (depth > 8) return null;
  const def = defOf(schema);
  if (def === null) return null;
  switch (def.type) {
    case 'string':
      return def.coerce !== true && noChecks(def) && onlyKeys(def, ['type', 'checks', 'coerce'])
        ? isString
        : null;
    case 'boolean':
      return def.coerce !== true && noChecks(def) && onlyKeys(def, ['type', 'checks', 'coerce'])
        ? isBoolean
        : null;
    case 'number':
      return compileNumber(def);
    case 'enum':
      return compileEnum(def);
    case 'array':
      return compileArray(def, depth);
    case 'object':
      return compileObject(def, depth);
    case 'optional':
    case 'nullable': {
      if (!onlyKeys(def, ['type', 'innerType'])) return null;
      const inner = compile(def.innerType, depth + 1);
      if (inner === null) return null;
      return def.type === 'optional'
        ? (v) => v === undefined || inner(v)
        : (v) => v === null || inner(v);
    }
    default:
      return null;
  }
}

/** A copy-free check for `schema` when it is plain (see above), else null. */
export function plainCheck(schema: unknown): BodyCheck | null {
  try {
    return compile(schema, 0);
  } catch {
    // An unexpected shape of zod's internals: zod validates as before.
    return null;
  }
}
