/**
 * A small named registry. Registering a taken name throws, so two packages can never silently
 * replace each other's entries; packages register through an explicit call, never on import.
 */
export class Registry<T> {
  readonly #entries = new Map<string, T>();

  /** `kind` names the entries in errors ('backbone'). */
  constructor(readonly kind: string) {}

  register(name: string, entry: T): void {
    if (!/^[a-z0-9][a-z0-9._/-]*$/i.test(name)) throw new Error(`invalid ${this.kind} name '${name}'`);
    if (this.#entries.has(name)) throw new Error(`${this.kind} '${name}' is already registered`);
    this.#entries.set(name, entry);
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  get(name: string): T {
    const entry = this.#entries.get(name);
    if (entry === undefined) {
      const known = this.names();
      throw new Error(`unknown ${this.kind} '${name}'${known.length ? `; registered: ${known.join(', ')}` : `; none registered yet`}`);
    }
    return entry;
  }

  /** Remove an entry (for tests and hot reload); returns whether it existed. */
  unregister(name: string): boolean {
    return this.#entries.delete(name);
  }

  names(): string[] {
    return [...this.#entries.keys()].sort();
  }
}
