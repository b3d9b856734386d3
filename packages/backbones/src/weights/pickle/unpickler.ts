/**
 * A restricted unpickler: it reads the opcodes of pickle protocols 2–5 that PyTorch and TorchScript
 * write and builds plain data (numbers, strings, lists, tuples, dicts). It never imports or runs
 * Python code: every global the stream names is passed to `resolveGlobal`, which returns a
 * JavaScript stand-in or refuses it.
 */

/** A Python tuple (kept apart from lists, which are plain arrays). */
export class PickleTuple {
  constructor(readonly items: readonly unknown[]) {}
}

/** What a `GLOBAL` resolves to: something that can be called (REDUCE) or instantiated (NEWOBJ). */
export interface PickleGlobal {
  readonly module: string;
  readonly name: string;
  /** `REDUCE`: call with positional arguments. */
  call?(args: readonly unknown[]): unknown;
  /** `NEWOBJ`: `cls.__new__(cls, *args)`. */
  construct?(args: readonly unknown[]): unknown;
}

/** An object that accepts `BUILD` (Python's `__setstate__` / `__dict__.update`). */
export interface PickleBuildable {
  setState(state: unknown): void;
}

export interface UnpickleOptions {
  /** Named in errors (`file.pt/archive/data.pkl`). */
  source: string;
  /** Returns the stand-in of a global, or throws to refuse it. */
  resolveGlobal(module: string, name: string): PickleGlobal;
  /** Resolves a persistent id (`BINPERSID`); PyTorch uses them for tensor storages. */
  persistentLoad?(pid: unknown): unknown;
}

/** A pickle stream that cannot be read, or asks for something refused; names the source and byte offset. */
export class PickleError extends Error {
  /** The message without the source. */
  readonly detail: string;

  constructor(readonly source: string, readonly offset: number, message: string) {
    super(`${source}: ${message} (pickle byte ${offset})`);
    this.name = 'PickleError';
    this.detail = `${message} (pickle byte ${offset})`;
  }
}

const MARK = Symbol('mark');

function isBuildable(value: unknown): value is PickleBuildable {
  return typeof value === 'object' && value !== null && typeof (value as PickleBuildable).setState === 'function';
}

/** Decode one pickle; returns the object `pickle.loads` would, as plain JavaScript data. */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): unknown {
  return new Unpickler(bytes, options).load();
}

class Unpickler {
  #pos = 0;
  #opStart = 0;
  readonly #stack: unknown[] = [];
  readonly #marks: number[] = [];
  readonly #memo = new Map<number, unknown>();
  readonly #view: DataView;
  readonly #utf8 = new TextDecoder('utf-8', { fatal: true });

  constructor(private readonly bytes: Uint8Array, private readonly options: UnpickleOptions) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  load(): unknown {
    for (;;) {
      this.#opStart = this.#pos;
      const op = this.u8();
      switch (op) {
        case 0x80: this.u8(); break; // PROTO
        case 0x95: this.skip(8); break; // FRAME
        case 0x2e: return this.pop(); // STOP
        case 0x28: this.#marks.push(this.#stack.length); this.#stack.push(MARK); break; // MARK
        case 0x4e: this.#stack.push(null); break; // NONE
        case 0x88: this.#stack.push(true); break; // NEWTRUE
        case 0x89: this.#stack.push(false); break; // NEWFALSE
        case 0x4b: this.#stack.push(this.u8()); break; // BININT1
        case 0x4d: this.#stack.push(this.#view.getUint16(this.advance(2), true)); break; // BININT2
        case 0x4a: this.#stack.push(this.#view.getInt32(this.advance(4), true)); break; // BININT
        case 0x8a: this.#stack.push(this.long(this.u8())); break; // LONG1
        case 0x8b: this.#stack.push(this.long(this.length(4))); break; // LONG4
        case 0x47: this.#stack.push(this.#view.getFloat64(this.advance(8), false)); break; // BINFLOAT
        case 0x58: this.#stack.push(this.text(this.length(4))); break; // BINUNICODE
        case 0x8c: this.#stack.push(this.text(this.u8())); break; // SHORT_BINUNICODE
        case 0x8d: this.#stack.push(this.text(this.length(8))); break; // BINUNICODE8
        case 0x55: this.#stack.push(this.latin1(this.u8())); break; // SHORT_BINSTRING
        case 0x54: this.#stack.push(this.latin1(this.length(4))); break; // BINSTRING
        case 0x43: this.#stack.push(this.raw(this.u8())); break; // SHORT_BINBYTES
        case 0x42: this.#stack.push(this.raw(this.length(4))); break; // BINBYTES
        case 0x8e: this.#stack.push(this.raw(this.length(8))); break; // BINBYTES8
        case 0x96: this.#stack.push(this.raw(this.length(8))); break; // BYTEARRAY8
        case 0x29: this.#stack.push(new PickleTuple([])); break; // EMPTY_TUPLE
        case 0x85: this.#stack.push(new PickleTuple(this.popN(1))); break; // TUPLE1
        case 0x86: this.#stack.push(new PickleTuple(this.popN(2))); break; // TUPLE2
        case 0x87: this.#stack.push(new PickleTuple(this.popN(3))); break; // TUPLE3
        case 0x74: this.#stack.push(new PickleTuple(this.popMark())); break; // TUPLE
        case 0x5d: this.#stack.push([]); break; // EMPTY_LIST
        case 0x6c: this.#stack.push(this.popMark()); break; // LIST
        case 0x7d: this.#stack.push(new Map()); break; // EMPTY_DICT
        case 0x64: this.#stack.push(this.setItems(new Map(), this.popMark())); break; // DICT
        case 0x8f: this.#stack.push(new Set()); break; // EMPTY_SET
        case 0x91: this.#stack.push(new Set(this.popMark())); break; // FROZENSET
        case 0x61: { // APPEND
          const item = this.pop();
          this.list(this.top()).push(item);
          break;
        }
        case 0x65: { // APPENDS
          const items = this.popMark();
          this.list(this.top()).push(...items);
          break;
        }
        case 0x73: { // SETITEM
          const [key, value] = this.popN(2);
          this.setItems(this.dict(this.top()), [key, value]);
          break;
        }
        case 0x75: { // SETITEMS
          const items = this.popMark();
          this.setItems(this.dict(this.top()), items);
          break;
        }
        case 0x90: { // ADDITEMS
          const items = this.popMark();
          const set = this.top();
          if (!(set instanceof Set)) this.fail('ADDITEMS on something that is not a set');
          for (const item of items) (set as Set<unknown>).add(item);
          break;
        }
        case 0x71: this.#memo.set(this.u8(), this.top()); break; // BINPUT
        case 0x72: this.#memo.set(this.length(4), this.top()); break; // LONG_BINPUT
        case 0x94: this.#memo.set(this.#memo.size, this.top()); break; // MEMOIZE
        case 0x68: this.#stack.push(this.memo(this.u8())); break; // BINGET
        case 0x6a: this.#stack.push(this.memo(this.length(4))); break; // LONG_BINGET
        case 0x30: this.pop(); break; // POP
        case 0x31: this.popMark(); break; // POP_MARK
        case 0x32: this.#stack.push(this.top()); break; // DUP
        case 0x63: { // GLOBAL
          const module = this.line();
          const name = this.line();
          this.#stack.push(this.resolve(module, name));
          break;
        }
        case 0x93: { // STACK_GLOBAL
          const [module, name] = this.popN(2);
          if (typeof module !== 'string' || typeof name !== 'string') this.fail('STACK_GLOBAL needs two strings');
          this.#stack.push(this.resolve(module as string, name as string));
          break;
        }
        case 0x52: { // REDUCE
          const [callable, args] = this.popN(2);
          const global = this.global(callable, 'REDUCE');
          if (!global.call) this.fail(`${global.module}.${global.name} cannot be called`);
          this.#stack.push(this.invoke(global, () => (global.call as NonNullable<PickleGlobal['call']>)(this.tuple(args))));
          break;
        }
        case 0x81: { // NEWOBJ
          const [cls, args] = this.popN(2);
          const global = this.global(cls, 'NEWOBJ');
          if (!global.construct) this.fail(`${global.module}.${global.name} cannot be instantiated`);
          this.#stack.push(this.invoke(global, () => (global.construct as NonNullable<PickleGlobal['construct']>)(this.tuple(args))));
          break;
        }
        case 0x62: { // BUILD
          const state = this.pop();
          const target = this.top();
          if (target instanceof Map) break; // An OrderedDict's attributes (`_metadata`): not data we need.
          if (!isBuildable(target)) this.fail(`BUILD on ${describe(target)}, which takes no state`);
          (target as PickleBuildable).setState(state);
          break;
        }
        case 0x51: { // BINPERSID
          const pid = this.pop();
          if (!this.options.persistentLoad) this.fail('persistent id found but this stream has no persistent storage');
          const load = this.options.persistentLoad as NonNullable<UnpickleOptions['persistentLoad']>;
          try {
            this.#stack.push(load(pid));
          } catch (error) {
            this.fail((error as Error).message);
          }
          break;
        }
        default:
          this.fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} (text-mode pickles and protocol-0 opcodes are not read)`);
      }
    }
  }

  private fail(message: string): never {
    throw new PickleError(this.options.source, this.#opStart, message);
  }

  private advance(count: number): number {
    if (this.#pos + count > this.bytes.length) {
      throw new PickleError(this.options.source, this.#opStart, `truncated: needs ${count} more bytes, ${this.bytes.length - this.#pos} left`);
    }
    const at = this.#pos;
    this.#pos += count;
    return at;
  }

  private skip(count: number): void {
    this.advance(count);
  }

  private u8(): number {
    return this.#view.getUint8(this.advance(1));
  }

  private length(bytes: 4 | 8): number {
    const at = this.advance(bytes);
    const value = bytes === 4 ? this.#view.getUint32(at, true) : Number(this.#view.getBigUint64(at, true));
    if (!Number.isSafeInteger(value)) this.fail(`length ${value} is too large`);
    return value;
  }

  private raw(count: number): Uint8Array {
    const at = this.advance(count);
    return this.bytes.slice(at, at + count);
  }

  private text(count: number): string {
    const at = this.advance(count);
    try {
      return this.#utf8.decode(this.bytes.subarray(at, at + count));
    } catch {
      return this.fail('string is not valid UTF-8');
    }
  }

  private latin1(count: number): string {
    const at = this.advance(count);
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + at, count).toString('latin1');
  }

  /** A newline-terminated ASCII line (GLOBAL's operands). */
  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.#pos);
    if (end < 0 || end - this.#pos > 1024) this.fail('GLOBAL operand is not a short newline-terminated line');
    const value = this.latin1(end - this.#pos);
    this.#pos = end + 1;
    return value;
  }

  /** Little-endian two's-complement integer of `count` bytes; a number when it is safe, else a bigint. */
  private long(count: number): number | bigint {
    const at = this.advance(count);
    if (count === 0) return 0;
    let value = 0n;
    for (let i = count - 1; i >= 0; i--) value = (value << 8n) | BigInt(this.bytes[at + i] as number);
    if ((this.bytes[at + count - 1] as number) & 0x80) value -= 1n << BigInt(8 * count);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  private pop(): unknown {
    if (this.#stack.length === 0) this.fail('stack underflow');
    const value = this.#stack.pop();
    if (value === MARK) this.fail('unexpected MARK on the stack');
    return value;
  }

  private popN(count: number): unknown[] {
    const items: unknown[] = [];
    for (let i = 0; i < count; i++) items.unshift(this.pop());
    return items;
  }

  private popMark(): unknown[] {
    const mark = this.#marks.pop();
    if (mark === undefined) this.fail('no MARK to pop to');
    const items = this.#stack.splice(mark as number);
    items.shift();
    return items;
  }

  private top(): unknown {
    if (this.#stack.length === 0 || this.#stack[this.#stack.length - 1] === MARK) this.fail('stack underflow');
    return this.#stack[this.#stack.length - 1];
  }

  private memo(index: number): unknown {
    if (!this.#memo.has(index)) this.fail(`memo entry ${index} was never stored`);
    return this.#memo.get(index);
  }

  private list(value: unknown): unknown[] {
    if (!Array.isArray(value)) this.fail(`APPEND on ${describe(value)}, not a list`);
    return value as unknown[];
  }

  private dict(value: unknown): Map<unknown, unknown> {
    if (!(value instanceof Map)) this.fail(`SETITEM on ${describe(value)}, not a dict`);
    return value as Map<unknown, unknown>;
  }

  private setItems(dict: Map<unknown, unknown>, items: unknown[]): Map<unknown, unknown> {
    if (items.length % 2 !== 0) this.fail('odd number of items for a dict');
    for (let i = 0; i < items.length; i += 2) dict.set(dictKey(items[i]), items[i + 1]);
    return dict;
  }

  private tuple(value: unknown): readonly unknown[] {
    if (!(value instanceof PickleTuple)) this.fail(`arguments are ${describe(value)}, not a tuple`);
    return (value as PickleTuple).items;
  }

  private global(value: unknown, opcode: string): PickleGlobal {
    if (typeof value !== 'object' || value === null || !('module' in value) || !('name' in value)) {
      this.fail(`${opcode} on ${describe(value)}, not a class or function`);
    }
    return value as PickleGlobal;
  }

  private resolve(module: string, name: string): PickleGlobal {
    try {
      return this.options.resolveGlobal(module, name);
    } catch (error) {
      return this.fail((error as Error).message);
    }
  }

  private invoke(global: PickleGlobal, run: () => unknown): unknown {
    try {
      return run();
    } catch (error) {
      if (error instanceof PickleError) throw error;
      return this.fail(`${global.module}.${global.name}: ${(error as Error).message}`);
    }
  }
}

/** Tuple keys become strings so that equal tuples find the same entry, as in Python. */
function dictKey(key: unknown): unknown {
  return key instanceof PickleTuple ? JSON.stringify(key.items, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) : key;
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'None';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Map) return 'a dict';
  if (value instanceof PickleTuple) return 'a tuple';
  if (value instanceof Uint8Array) return 'bytes';
  if (typeof value === 'object') {
    const named = value as Partial<PickleGlobal>;
    if (typeof named.module === 'string' && typeof named.name === 'string') return `${named.module}.${named.name}`;
    return value.constructor?.name ?? 'an object';
  }
  return typeof value;
}
