import { describe, expect, it } from 'vitest';
import { PickleWriter } from '../../../test/pickle-writer';
import { PickleError, unpickle, type PickleGlobal, type PickleTuple } from './unpickler';

const refuseAll = (module: string, name: string): PickleGlobal => {
  throw new Error(`refused ${module}.${name}`);
};

const load = (bytes: Uint8Array, resolveGlobal = refuseAll): unknown => unpickle(bytes, { source: 'test.pkl', resolveGlobal });

describe('unpickle (restricted)', () => {
  it('reads the scalar opcodes with their exact values', () => {
    // pickle.dumps([0, 255, 65535, -1, 2**31-1, 2**40, -2**40, 1.5, 'é', True, False, None], protocol=2)
    const w = new PickleWriter().proto().emptyList().mark();
    w.int(0).int(255).int(65535).int(-1).int(2 ** 31 - 1).int(2 ** 40).int(-(2 ** 40)).float(1.5).str('é').bool(true).bool(false).none();
    w.appends().stop();
    expect(load(w.bytes())).toEqual([0, 255, 65535, -1, 2 ** 31 - 1, 2 ** 40, -(2 ** 40), 1.5, 'é', true, false, null]);
  });

  it('reads LONG1 beyond 2^53 as a bigint and small LONG1 as a number', () => {
    // LONG1 8 bytes of 2**63 - 1, then LONG1 of 0 bytes (zero), then LONG1 0xff (-1).
    const bytes = Uint8Array.of(0x80, 2, 0x28, 0x8a, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x8a, 0, 0x8a, 1, 0xff, 0x74, 0x2e);
    const value = load(bytes) as PickleTuple;
    expect(value.items).toEqual([2n ** 63n - 1n, 0, -1]);
  });

  it('keeps shared objects shared through the memo (BINPUT/BINGET) and DUP', () => {
    // a = []; pickle.dumps((a, a), protocol=2) → EMPTY_LIST BINPUT 0 BINGET 0 TUPLE2
    const bytes = new PickleWriter().proto().emptyList().put(0).get(0).tuple2().stop().bytes();
    const value = load(bytes) as PickleTuple;
    expect(value.items[0]).toBe(value.items[1]);
    const dup = load(Uint8Array.of(0x80, 2, 0x5d, 0x32, 0x86, 0x2e)) as PickleTuple;
    expect(dup.items[0]).toBe(dup.items[1]);
  });

  it('reads protocol-4 framing, MEMOIZE, SHORT_BINUNICODE, STACK_GLOBAL and sets', () => {
    // FRAME n, SHORT_BINUNICODE 'collections', MEMOIZE, SHORT_BINUNICODE 'OrderedDict', MEMOIZE, STACK_GLOBAL, EMPTY_TUPLE, REDUCE, STOP
    const name = (s: string): number[] => [0x8c, s.length, ...new TextEncoder().encode(s), 0x94];
    const body = [...name('collections'), ...name('OrderedDict'), 0x93, 0x29, 0x52, 0x2e];
    const bytes = Uint8Array.of(0x80, 4, 0x95, body.length, 0, 0, 0, 0, 0, 0, 0, ...body);
    const seen: string[] = [];
    const value = load(bytes, (module, name2) => {
      seen.push(`${module}.${name2}`);
      return { module, name: name2, call: () => new Map() };
    });
    expect(seen).toEqual(['collections.OrderedDict']);
    expect(value).toBeInstanceOf(Map);
    const set = load(Uint8Array.of(0x80, 4, 0x8f, 0x28, 0x4b, 1, 0x4b, 2, 0x90, 0x2e)) as Set<number>;
    expect([...set]).toEqual([1, 2]);
  });

  it('refuses every global the resolver refuses, naming it, the source and the byte', () => {
    const bytes = new PickleWriter().proto().global('builtins', 'eval').str('1+1').tuple1().reduce().stop().bytes();
    expect(() => load(bytes)).toThrow(new PickleError('test.pkl', 2, 'refused builtins.eval'));
  });

  it('fails clearly on truncated streams, unsupported opcodes and a corrupt stack', () => {
    expect(() => load(Uint8Array.of(0x80, 2, 0x58, 10, 0, 0, 0, 0x61))).toThrow(/test\.pkl: truncated: needs 10 more bytes, 1 left \(pickle byte 2\)/);
    expect(() => load(Uint8Array.of(0x80, 2, 0x7d))).toThrow(/truncated/);
    // 'I' (protocol-0 INT) is not read.
    expect(() => load(Uint8Array.of(0x80, 2, 0x49, 0x31, 0x0a, 0x2e))).toThrow(/unsupported pickle opcode 0x49/);
    expect(() => load(Uint8Array.of(0x80, 2, 0x2e))).toThrow(/stack underflow/);
    expect(() => load(Uint8Array.of(0x80, 2, 0x74, 0x2e))).toThrow(/no MARK to pop to/);
    expect(() => load(Uint8Array.of(0x80, 2, 0x68, 3, 0x2e))).toThrow(/memo entry 3 was never stored/);
    expect(() => load(Uint8Array.of(0x80, 2, 0x4b, 1, 0x4b, 2, 0x61, 0x2e))).toThrow(/APPEND on number, not a list/);
  });

  it('calls a REDUCE only on resolved globals, never on data', () => {
    // A string in the callable position: REDUCE must not treat it as code.
    const bytes = new PickleWriter().proto().str('os.system').str('ls').tuple1().reduce().stop().bytes();
    expect(() => load(bytes)).toThrow(/REDUCE on string, not a class or function/);
  });
});
