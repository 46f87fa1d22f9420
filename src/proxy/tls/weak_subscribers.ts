// Subscribers held weakly. TLS contexts belong to listener generations and clusters
// that are replaced by config updates without a close hook reaching every owner; a
// file watch or secret subscription must not keep a dropped context (and its keys)
// alive, nor keep listing it in /certs. Owners still unsubscribe explicitly on close.

export class WeakSubscribers<T extends object> {
  private readonly refs = new Set<WeakRef<T>>();

  add(subscriber: T): () => void {
    const ref = new WeakRef(subscriber);
    this.refs.add(ref);
    return () => {
      this.refs.delete(ref);
    };
  }

  /** Live subscribers; collected ones are pruned on the way. */
  live(): T[] {
    const out: T[] = [];
    for (const ref of this.refs) {
      const s = ref.deref();
      if (s) out.push(s);
      else this.refs.delete(ref);
    }
    return out;
  }

  get empty(): boolean {
    return this.live().length === 0;
  }
}
