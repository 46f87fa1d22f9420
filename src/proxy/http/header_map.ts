// An ordered multimap of HTTP headers with lower-case names, as Envoy keeps them:
// pseudo-headers (`:method`, `:path`, `:authority`, `:scheme`, `:status`) live in the
// same map, so route matchers and filters address them like any other header.
// Parallel arrays beat a Map here: requests carry ~10 headers and are scanned linearly.

export class HeaderMap {
  private names: string[] = [];
  private values: string[] = [];

  /** From node's `rawHeaders` / undici's flat [name, value, ...] list. */
  static fromFlat(flat: ReadonlyArray<string>): HeaderMap {
    const map = new HeaderMap();
    for (let i = 0; i < flat.length; i += 2) map.add(flat[i]!.toLowerCase(), flat[i + 1]!);
    return map;
  }

  static from(entries: Iterable<[string, string]> | Record<string, string | string[]>): HeaderMap {
    const map = new HeaderMap();
    const list = Symbol.iterator in entries ? (entries as Iterable<[string, string]>) : Object.entries(entries);
    for (const [k, v] of list) {
      if (Array.isArray(v)) for (const item of v) map.add(k.toLowerCase(), item);
      else map.add(k.toLowerCase(), v as string);
    }
    return map;
  }

  get size(): number {
    return this.names.length;
  }

  /** First value of `name` (lower-case), or undefined. */
  get(name: string): string | undefined {
    const names = this.names;
    for (let i = 0; i < names.length; i++) if (names[i] === name) return this.values[i];
    return undefined;
  }

  getAll(name: string): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.names.length; i++) if (this.names[i] === name) out.push(this.values[i]!);
    return out;
  }

  has(name: string): boolean {
    return this.names.includes(name);
  }

  /** Adds a value, keeping existing ones (a header may repeat). */
  add(name: string, value: string): void {
    if (name.charCodeAt(0) === 58 /* ':' */) {
      // Pseudo-headers go before regular ones, as HTTP/2 requires.
      let at = 0;
      while (at < this.names.length && this.names[at]!.charCodeAt(0) === 58) at++;
      this.names.splice(at, 0, name);
      this.values.splice(at, 0, value);
      return;
    }
    this.names.push(name);
    this.values.push(value);
  }

  /** Replaces every value of `name` with one value. */
  set(name: string, value: string): void {
    const i = this.names.indexOf(name);
    if (i < 0) {
      this.add(name, value);
      return;
    }
    this.values[i] = value;
    for (let j = this.names.length - 1; j > i; j--) {
      if (this.names[j] === name) {
        this.names.splice(j, 1);
        this.values.splice(j, 1);
      }
    }
  }

  /** Adds `value` unless the header is already present. */
  setIfAbsent(name: string, value: string): void {
    if (!this.has(name)) this.add(name, value);
  }

  /** Appends to an existing value with a comma (x-forwarded-for style), or adds it. */
  appendCopy(name: string, value: string): void {
    const i = this.names.indexOf(name);
    if (i < 0) this.add(name, value);
    else this.values[i] = this.values[i] ? `${this.values[i]},${value}` : value;
  }

  remove(name: string): boolean {
    let removed = false;
    for (let j = this.names.length - 1; j >= 0; j--) {
      if (this.names[j] === name) {
        this.names.splice(j, 1);
        this.values.splice(j, 1);
        removed = true;
      }
    }
    return removed;
  }

  removeIf(predicate: (name: string, value: string) => boolean): void {
    for (let j = this.names.length - 1; j >= 0; j--) {
      if (predicate(this.names[j]!, this.values[j]!)) {
        this.names.splice(j, 1);
        this.values.splice(j, 1);
      }
    }
  }

  forEach(fn: (name: string, value: string) => void): void {
    for (let i = 0; i < this.names.length; i++) fn(this.names[i]!, this.values[i]!);
  }

  *entries(): IterableIterator<[string, string]> {
    for (let i = 0; i < this.names.length; i++) yield [this.names[i]!, this.values[i]!];
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** Total bytes of names and values (for header size limits and BYTES stats). */
  byteSize(): number {
    let n = 0;
    for (let i = 0; i < this.names.length; i++) n += this.names[i]!.length + this.values[i]!.length;
    return n;
  }

  clone(): HeaderMap {
    const copy = new HeaderMap();
    copy.names = this.names.slice();
    copy.values = this.values.slice();
    return copy;
  }

  /**
   * Flat [name, value, ...] without pseudo-headers, for an HTTP/1 wire message;
   * `:authority` is written as `host` (first), as HTTP/1 expects.
   */
  toHttp1Flat(): string[] {
    const out: string[] = [];
    const authority = this.get(':authority');
    if (authority !== undefined) out.push('host', authority);
    for (let i = 0; i < this.names.length; i++) {
      const name = this.names[i]!;
      if (name.charCodeAt(0) === 58 || name === 'host') continue;
      out.push(name, this.values[i]!);
    }
    return out;
  }

  toObject(): Record<string, string> {
    const out: Record<string, string> = {};
    this.forEach((k, v) => {
      out[k] = out[k] === undefined ? v : `${out[k]},${v}`;
    });
    return out;
  }
}
