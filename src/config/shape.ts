// A small schema kit for the config file. A reader checks one value, converts it, says what it expected when the
// value is wrong, and describes itself as JSON Schema (draft-07) for editors. `schema.ts` describes the whole file
// with these, so the type, the checks, the messages and the committed schema file come from one description.
// (Why not a schema library: docs/how-it-works.md, "Dependencies, and why each".)
import { closest } from '../util/suggest.js';

export type JsonSchema = Record<string, unknown>;

const INVALID: unique symbol = Symbol('invalid');
/** A value that was wrong; its problem is already reported. */
export type Invalid = typeof INVALID;

export interface ReadContext {
  /** Absolute path of the config file: relative paths in it resolve against its folder. */
  configPath: string;
  problems: string[];
  /** Every key the schema knows, with the objects that take it ('' is the top level): "belongs under" hints. */
  homes: Map<string, string[]>;
}

/** Where a value sits in the file (`target.store.path`, `staging.subdirs[2]`) and where its problems go. */
export class At {
  constructor(
    readonly ctx: ReadContext,
    readonly keys: readonly string[] = [],
  ) {}

  child(key: string | number): At {
    return new At(this.ctx, [...this.keys, typeof key === 'number' ? `[${key}]` : key]);
  }

  get name(): string {
    return this.keys.reduce((s, k) => (s === '' || k.startsWith('[') ? `${s}${k}` : `${s}.${k}`), '') || '(top level)';
  }

  /** `path: expected WHAT (got VALUE)`, or `(missing)`: the one form every value problem takes. */
  expected(what: string, got: unknown, hint?: string): Invalid {
    const shown = got === undefined ? 'missing' : `got ${JSON.stringify(got)}`;
    return this.problem(`expected ${what} (${shown}${hint === undefined ? '' : `; ${hint}`})`);
  }

  problem(text: string): Invalid {
    this.ctx.problems.push(`${this.name}: ${text}`);
    return INVALID;
  }
}

export const isInvalid = (v: unknown): v is Invalid => v === INVALID;

export const isMapping = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `a`, `a or b`, `a, b or c`, `a, b, c or …` (at most three named). */
function orList(items: string[]): string {
  const named = items.length > 3 ? [...items.slice(0, 3), '…'] : items;
  return named.length === 1 ? named[0]! : `${named.slice(0, -1).join(', ')} or ${named.at(-1)!}`;
}

export abstract class Reader<T> {
  /** What belongs here, as an error says it: "a duration such as 90s, 5m, 24h or 7d". */
  abstract readonly expected: string;
  /** Check and convert a value that is present in the file (an object reports absent keys itself). */
  abstract read(value: unknown, at: At): T | Invalid;
  /** JSON Schema of what the file may hold here. */
  abstract schema(): JsonSchema;

  /** The keys of the objects below, each with the object that takes it (for "belongs under" hints). */
  homes(_home: string, _add: (key: string, home: string) => void): void {
    // Leaves hold no keys.
  }

  /** The same check, with the value converted once it is valid. */
  map<U>(convert: (value: T, at: At) => U): Reader<U> {
    return new Mapped(this, convert);
  }
}

class Mapped<T, U> extends Reader<U> {
  constructor(
    private readonly inner: Reader<T>,
    private readonly convert: (value: T, at: At) => U,
  ) {
    super();
  }
  get expected(): string {
    return this.inner.expected;
  }
  read(value: unknown, at: At): U | Invalid {
    const v = this.inner.read(value, at);
    return isInvalid(v) ? v : this.convert(v, at);
  }
  schema(): JsonSchema {
    return this.inner.schema();
  }
  override homes(home: string, add: (key: string, home: string) => void): void {
    this.inner.homes(home, add);
  }
}

class Leaf<T> extends Reader<T> {
  constructor(
    readonly expected: string,
    private readonly json: JsonSchema,
    private readonly parse: (value: unknown, at: At) => T | Invalid | undefined,
  ) {
    super();
  }
  read(value: unknown, at: At): T | Invalid {
    const v = this.parse(value, at);
    return v === undefined ? at.expected(this.expected, value) : v;
  }
  schema(): JsonSchema {
    return this.json;
  }
}

/**
 * A single value. `parse` returns the converted value, `undefined` for "not what was expected" (reported with
 * `expected`), or an `Invalid` it reported itself with a more precise message.
 */
export function leaf<T>(
  expected: string,
  json: JsonSchema,
  parse: (value: unknown, at: At) => T | Invalid | undefined,
): Reader<T> {
  return new Leaf(expected, json, parse);
}

/** A non-empty string, matching `pattern` when given. */
export function text(expected: string, pattern?: RegExp): Reader<string> {
  return leaf(expected, { type: 'string', minLength: 1, ...(pattern ? { pattern: pattern.source } : {}) }, (v) =>
    typeof v === 'string' && v.length > 0 && (!pattern || pattern.test(v)) ? v : undefined,
  );
}

/** Exactly `value` (an object's `type`). */
export function literal<V extends string>(value: V): Reader<V> {
  return leaf(JSON.stringify(value), { const: value }, (v) => (v === value ? value : undefined));
}

export function integer(expected: string, min: number, max?: number): Reader<number> {
  return leaf(expected, { type: 'integer', minimum: min, ...(max === undefined ? {} : { maximum: max }) }, (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && (max === undefined || v <= max) ? v : undefined,
  );
}

export function boolean(): Reader<boolean> {
  return leaf('true or false', { type: 'boolean' }, (v) => (typeof v === 'boolean' ? v : undefined));
}

class List<T> extends Reader<T[]> {
  constructor(
    readonly expected: string,
    private readonly item: Reader<T>,
  ) {
    super();
  }
  read(value: unknown, at: At): T[] | Invalid {
    if (!Array.isArray(value) || value.length === 0) return at.expected(this.expected, value);
    const items = value.map((v, i) => this.item.read(v, at.child(i)));
    return items.some(isInvalid) ? INVALID : (items as T[]);
  }
  schema(): JsonSchema {
    return { type: 'array', minItems: 1, items: this.item.schema() };
  }
}

/** A non-empty list; each item is checked and named by its index (`target.labels[1]`). */
export function list<T>(expected: string, item: Reader<T>): Reader<T[]> {
  return new List(expected, item);
}

/** One key of an object: its reader, what it means, and whether it may be left out. */
export interface Key<T, Optional extends boolean = boolean> {
  reader: Reader<T>;
  description: string;
  /** Used when the key is absent, as if the file held it (so paths in it resolve, sizes parse). */
  default?: unknown;
  optional: Optional;
}

/** A key the file must hold. */
export function required<T>(reader: Reader<T>, description: string): Key<T, false> {
  return { reader, description, optional: false };
}

/** A key that may be absent: then the value is `fallback`, read as if the file held it. */
export function withDefault<T>(reader: Reader<T>, fallback: unknown, description: string): Key<T, false> {
  return { reader, description, default: fallback, optional: false };
}

/** A key that may be absent, and then is absent from the result too. */
export function optional<T>(reader: Reader<T>, description: string): Key<T, true> {
  return { reader, description, optional: true };
}

type Keys = Record<string, Key<unknown>>;
type Flatten<T> = { [K in keyof T]: T[K] } & {};
type ValueOf<K> = K extends Key<infer T> ? T : never;
export type ObjectValue<F extends Keys> = Flatten<
  { [K in keyof F as F[K] extends Key<unknown, true> ? never : K]: ValueOf<F[K]> } & {
    [K in keyof F as F[K] extends Key<unknown, true> ? K : never]?: ValueOf<F[K]>;
  }
>;

/**
 * A rule across keys of one object (which stores go together). `check` reads the object as written, so it reports
 * alongside every other problem; it skips what the keys' own readers already refuse. `schema` is its JSON Schema,
 * added under `allOf`.
 */
export interface Rule {
  check(object: Record<string, unknown>, at: At): boolean;
  schema: JsonSchema[];
}

class ObjectReader<F extends Keys> extends Reader<ObjectValue<F>> {
  constructor(
    readonly expected: string,
    private readonly keys: F,
    private readonly rules: Rule[],
  ) {
    super();
  }

  read(value: unknown, at: At): ObjectValue<F> | Invalid {
    if (!isMapping(value)) return at.expected(this.expected, value);
    let ok = true;
    for (const key of Object.keys(value)) {
      if (Object.hasOwn(this.keys, key)) continue;
      ok = false;
      at.child(key).problem(this.#unknown(key, at));
    }
    const out: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(this.keys)) {
      // A key written with nothing after it (`policy:`) is null, not absent: often its children lost their indent.
      const given = Object.hasOwn(value, key) ? value[key] : spec.default;
      if (given === undefined) {
        if (spec.optional) continue;
        at.child(key).expected(spec.reader.expected, undefined);
        ok = false;
        continue;
      }
      const v = spec.reader.read(given, at.child(key));
      if (isInvalid(v)) ok = false;
      else out[key] = v;
    }
    for (const rule of this.rules) if (!rule.check(value, at)) ok = false;
    return ok ? (out as ObjectValue<F>) : INVALID;
  }

  /** "unknown key (did you mean labels?)", or where a key of that name belongs, then the keys this object takes. */
  #unknown(key: string, at: At): string {
    const names = Object.keys(this.keys);
    // `$schema` is for editors: accepted, not advertised.
    const shown = names.filter((n) => !n.startsWith('$'));
    const takes = `${at.keys.length === 0 ? 'the top level' : at.name} takes ${shown.join(', ')}`;
    const near = closest(key, names);
    if (near !== null) return `unknown key (did you mean ${near}?); ${takes}`;
    const here = at.keys.filter((k) => !k.startsWith('[')).join('.');
    const elsewhere = (at.ctx.homes.get(key) ?? []).filter((h) => h !== here);
    if (elsewhere.length === 0) return `unknown key; ${takes}`;
    const where = elsewhere.includes('') ? 'at the top level' : `under ${orList(elsewhere)}`;
    return `unknown key here: ${key} belongs ${where} (check its indentation); ${takes}`;
  }

  schema(): JsonSchema {
    const properties: Record<string, JsonSchema> = {};
    for (const [key, spec] of Object.entries(this.keys)) {
      properties[key] = {
        description: spec.description,
        ...spec.reader.schema(),
        ...(spec.default === undefined ? {} : { default: spec.default }),
      };
    }
    const required = Object.entries(this.keys)
      .filter(([, spec]) => !spec.optional && spec.default === undefined)
      .map(([key]) => key);
    const all = this.rules.flatMap((r) => r.schema);
    return {
      type: 'object',
      properties,
      ...(required.length > 0 ? { required } : {}),
      additionalProperties: false,
      ...(all.length > 0 ? { allOf: all } : {}),
    };
  }

  override homes(home: string, add: (key: string, home: string) => void): void {
    for (const [key, spec] of Object.entries(this.keys)) {
      add(key, home);
      spec.reader.homes(home === '' ? key : `${home}.${key}`, add);
    }
  }
}

/** A mapping with exactly these keys: any other key is refused with a "did you mean". */
export function object<F extends Keys>(expected: string, keys: F, rules: Rule[] = []): Reader<ObjectValue<F>> {
  return new ObjectReader(expected, keys, rules);
}

type OptionValue<O> = O extends Reader<infer T> ? T : never;

class ByType<O extends Record<string, Reader<unknown>>> extends Reader<OptionValue<O[keyof O]>> {
  constructor(
    readonly expected: string,
    private readonly options: O,
  ) {
    super();
  }

  read(value: unknown, at: At): OptionValue<O[keyof O]> | Invalid {
    if (!isMapping(value)) return at.expected(this.expected, value);
    const type = value['type'];
    const names = Object.keys(this.options);
    const option = typeof type === 'string' && Object.hasOwn(this.options, type) ? this.options[type] : undefined;
    if (option !== undefined) return option.read(value, at) as OptionValue<O[keyof O]> | Invalid;
    const one = names.map((n) => JSON.stringify(n)).join(' or ');
    if (type === undefined) {
      // `tpye: directory` leaves `type` missing: name the slip rather than only the absence.
      const slip = Object.keys(value).find((k) => closest(k, ['type']) !== null);
      return at.child('type').expected(one, type, slip === undefined ? undefined : `is "${slip}" meant to be type?`);
    }
    const near = typeof type === 'string' ? closest(type, names) : null;
    return at.child('type').expected(one, type, near === null ? undefined : `did you mean ${near}?`);
  }

  schema(): JsonSchema {
    return { type: 'object', required: ['type'], oneOf: Object.values(this.options).map((o) => o.schema()) };
  }

  override homes(home: string, add: (key: string, home: string) => void): void {
    for (const option of Object.values(this.options)) option.homes(home, add);
  }
}

/** One of several objects, told apart by their `type` key (each option holds `type: literal(name)`). */
export function byType<O extends Record<string, Reader<unknown>>>(
  expected: string,
  options: O,
): Reader<OptionValue<O[keyof O]>> {
  return new ByType(expected, options);
}

/** Read a whole document: the value, or every problem found (each `path: what`), in the order of the schema. */
export function readDocument<T>(
  root: Reader<T>,
  doc: unknown,
  configPath: string,
): { value: T; problems: [] } | { value: null; problems: string[] } {
  const homes = new Map<string, string[]>();
  root.homes('', (key, home) => homes.set(key, [...(homes.get(key) ?? []), home]));
  const ctx: ReadContext = { configPath, problems: [], homes };
  const value = root.read(doc, new At(ctx));
  if (isInvalid(value) || ctx.problems.length > 0) {
    return { value: null, problems: ctx.problems.length > 0 ? ctx.problems : ['(top level): invalid'] };
  }
  return { value, problems: [] };
}
