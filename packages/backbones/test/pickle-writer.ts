/**
 * Test support: writes pickle protocol-2 opcodes by hand, the way CPython's pickler and
 * `torch.save` lay them out, so tests can build checkpoints PyTorch would write (fp16 storages,
 * strided views, shared storages, OrderedDict with `_metadata`) and hostile ones (forbidden
 * globals, truncated streams). Not part of the package build.
 */
export class PickleWriter {
  readonly #bytes: number[] = [];

  private push(...values: number[]): this {
    this.#bytes.push(...values);
    return this;
  }

  private u32(value: number): this {
    return this.push(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
  }

  proto(): this {
    return this.push(0x80, 2);
  }

  stop(): this {
    return this.push(0x2e);
  }

  mark(): this {
    return this.push(0x28);
  }

  emptyDict(): this {
    return this.push(0x7d);
  }

  emptyList(): this {
    return this.push(0x5d);
  }

  emptyTuple(): this {
    return this.push(0x29);
  }

  tuple(): this {
    return this.push(0x74);
  }

  tuple1(): this {
    return this.push(0x85);
  }

  tuple2(): this {
    return this.push(0x86);
  }

  setItems(): this {
    return this.push(0x75);
  }

  setItem(): this {
    return this.push(0x73);
  }

  appends(): this {
    return this.push(0x65);
  }

  reduce(): this {
    return this.push(0x52);
  }

  build(): this {
    return this.push(0x62);
  }

  newObj(): this {
    return this.push(0x81);
  }

  binPersId(): this {
    return this.push(0x51);
  }

  none(): this {
    return this.push(0x4e);
  }

  bool(value: boolean): this {
    return this.push(value ? 0x88 : 0x89);
  }

  /** BININT1 / BININT2 / BININT / LONG1, as the pickler picks them. */
  int(value: number): this {
    if (value >= 0 && value < 256) return this.push(0x4b, value);
    if (value >= 0 && value < 65536) return this.push(0x4d, value & 0xff, value >> 8);
    if (value >= -(2 ** 31) && value < 2 ** 31) return this.push(0x4a).u32(value >>> 0);
    let big = BigInt(value);
    const bytes: number[] = [];
    for (let i = 0; i < 8; i++) {
      bytes.push(Number(big & 0xffn));
      big >>= 8n;
    }
    return this.push(0x8a, 8, ...bytes);
  }

  float(value: number): this {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, value, false);
    return this.push(0x47, ...new Uint8Array(view.buffer));
  }

  str(value: string): this {
    const encoded = new TextEncoder().encode(value);
    return this.push(0x58).u32(encoded.length).push(...encoded);
  }

  global(module: string, name: string): this {
    return this.push(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`));
  }

  put(index: number): this {
    return index < 256 ? this.push(0x71, index) : this.push(0x72).u32(index);
  }

  get(index: number): this {
    return index < 256 ? this.push(0x68, index) : this.push(0x6a).u32(index);
  }

  /** Raw opcode bytes, for streams the helpers above do not cover. */
  raw(...values: number[]): this {
    return this.push(...values);
  }

  /**
   * A tensor as `torch.save` pickles it: `_rebuild_tensor_v2(persistent storage, offset, size,
   * stride, requires_grad, OrderedDict())`.
   */
  tensor(options: { storageType: string; key: string; numel: number; offset?: number; shape: number[]; stride?: number[]; location?: string }): this {
    const stride = options.stride ?? contiguousStride(options.shape);
    this.global('torch._utils', '_rebuild_tensor_v2').mark();
    this.mark().str('storage').global('torch', options.storageType).str(options.key).str(options.location ?? 'cpu').int(options.numel).tuple().binPersId();
    this.int(options.offset ?? 0);
    this.mark();
    for (const size of options.shape) this.int(size);
    this.tuple();
    this.mark();
    for (const step of stride) this.int(step);
    this.tuple();
    this.bool(false);
    this.global('collections', 'OrderedDict').emptyTuple().reduce();
    return this.tuple().reduce();
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }
}

export function contiguousStride(shape: readonly number[]): number[] {
  const stride = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) stride[d] = (stride[d + 1] as number) * (shape[d + 1] as number);
  return stride;
}
