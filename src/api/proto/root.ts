// Envoy's API protos are the schema for every config skein reads (DESIGN.md §4.1).
// Parsing all ~380 files costs ~47 MB of RSS per process, more than half an idle
// proxy's budget (§6), and a proxy uses a few dozen of them. So the Root starts with
// the bootstrap's import closure and grows one file at a time: a type the root lacks
// is located in the committed type index (type-index.ts) and its file is loaded into
// the same Root, imports and all, so every resolvedType and validate rule is there
// exactly as with a full load.
import protobuf from 'protobufjs';
import { allProtoFiles, BOOTSTRAP_PROTO, newProtoRoot, PROTO_PARSE_OPTIONS, protoPackageVersions, resolveProtoPath } from './files.js';
import { readCommittedTypeIndex, TypeLocator } from './type-index.js';

/** One protobufjs Root that loads Envoy's proto files on demand. */
export class LazyProtoRoot {
  readonly root: protobuf.Root = newProtoRoot();
  private readonly requested = new Set<string>();
  private readonly found = new Map<string, protobuf.Type>();
  private everything = false;
  private index: TypeLocator | null | undefined;

  /**
   * `readIndex` is called once, at the first lookup of a name not seen before; when it
   * returns undefined (no trustworthy index) every file is loaded instead.
   * `initialFiles`: import paths loaded at once (default: the bootstrap's closure).
   */
  constructor(private readonly readIndex: () => TypeLocator | undefined, initialFiles: string[] = [BOOTSTRAP_PROTO]) {
    this.load(initialFiles);
  }

  /** Loads files by import path; types they reference (imports) come along. */
  load(files: string[]): void {
    // A file already read as another file's import is in root.files under its resolved path.
    const fresh = files.filter((f) => !this.requested.has(f) && !this.root.files.includes(resolveProtoPath('', f)));
    if (fresh.length) {
      this.root.loadSync(fresh, PROTO_PARSE_OPTIONS);
      this.root.resolveAll();
    }
    for (const f of files) this.requested.add(f);
  }

  /** Loads every file skein can use (the set the type index covers). */
  loadAll(): void {
    if (this.everything) return;
    this.load(allProtoFiles());
    this.everything = true;
  }

  get fullyLoaded(): boolean {
    return this.everything;
  }

  /** The type index, or undefined when there is none to trust (then everything is loaded). */
  locator(): TypeLocator | undefined {
    if (this.index === undefined) {
      this.index = this.readIndex() ?? null;
      if (!this.index) this.loadAll();
    }
    return this.index ?? undefined;
  }

  /**
   * The message type named `name` (a full name; like protobufjs's lookup, a
   * relative name matches any type whose full name ends with it), loading its file
   * first if needed; undefined for enums, namespaces and names no proto defines.
   */
  findType(name: string): protobuf.Type | undefined {
    const hit = this.found.get(name);
    if (hit) return hit;
    const locator = this.everything ? undefined : this.locator();
    const type = locator ? this.loadAndLookup(locator, name) : this.lookup(name);
    if (type) this.found.set(name, type);
    return type;
  }

  /** Full names of every message type, loaded or not, sorted. */
  messageNames(): readonly string[] {
    const locator = this.locator();
    if (locator) return locator.messageNames();
    const out: string[] = [];
    const walk = (ns: protobuf.NamespaceBase) => {
      for (const child of ns.nestedArray) {
        if (child instanceof protobuf.Type) out.push(child.fullName.slice(1));
        if (child instanceof protobuf.Namespace) walk(child);
      }
    };
    walk(this.root);
    return out.sort();
  }

  private loadAndLookup(locator: TypeLocator, name: string): protobuf.Type | undefined {
    const absolute = name.startsWith('.');
    const fullName = absolute ? name.slice(1) : name;
    const where = locator.locate(fullName);
    if (where) {
      if (where.kind !== 'message') return undefined;
      this.load([where.file]);
      const type = this.lookup('.' + fullName);
      if (!type) throw new Error(`proto type index is stale: ${fullName} is not in ${where.file}; run npm run gen:types`);
      return type;
    }
    if (absolute) return undefined;
    const matches = locator.namesEndingWith(fullName);
    if (!matches.length) return undefined;
    this.load([...new Set(matches.map((n) => locator.locate(n)!.file))]);
    return this.lookup(fullName);
  }

  private lookup(name: string): protobuf.Type | undefined {
    try {
      const found = this.root.lookup(name);
      return found instanceof protobuf.Type ? found : undefined;
    } catch {
      return undefined;
    }
  }
}

/**
 * The committed index, if it was built from the installed proto packages; if not,
 * it cannot be trusted and the caller loads everything, as skein did before.
 */
function trustedCommittedIndex(): TypeLocator | undefined {
  const locator = new TypeLocator(readCommittedTypeIndex());
  const installed = protoPackageVersions();
  const built = locator.index.sources;
  if (Object.keys(installed).every((pkg) => installed[pkg] === built[pkg])) return locator;
  process.emitWarning(
    `proto type index was built from ${JSON.stringify(built)} but ${JSON.stringify(installed)} is installed; ` +
      'loading every proto file (run npm run gen:types)',
  );
  return undefined;
}

let shared: LazyProtoRoot | undefined;

function sharedRoot(initialFiles?: string[]): LazyProtoRoot {
  shared ??= new LazyProtoRoot(trustedCommittedIndex, initialFiles);
  return shared;
}

/**
 * Drops the shared Root (~5 MB of heap with the bootstrap's closure). A proxy whose
 * config is all static calls this once it is serving: nothing on its request path
 * reads proto types, and without an xDS client no new config can arrive. The next
 * lookup (admin /config_dump) builds a new Root, as the first one was built.
 * Caches keyed by types (pgv rules, field indexes) are WeakMaps and let go with it.
 */
export function releaseProtoRoot(): void {
  shared = undefined;
}

/** The Root holding Envoy's messages: the bootstrap's closure plus whatever was looked up since. */
export function protoRoot(): protobuf.Root {
  return sharedRoot().root;
}

/**
 * Loads every proto file skein can use into the shared Root and returns it, for
 * tools that walk all types (scripts/gen-proto-types.mjs, gen-proto-index.mjs).
 * In a fresh process the files load in the same order as before lazy loading.
 */
export function loadAllProtos(): protobuf.Root {
  const lazy = sharedRoot(shared ? undefined : allProtoFiles());
  lazy.loadAll();
  return lazy.root;
}

/** Full names of every message type skein can load (loaded or not), sorted. */
export function messageTypeNames(): readonly string[] {
  return sharedRoot().messageNames();
}

export const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** Strips the `type.googleapis.com/` (or any `host/`) prefix of an Any type URL. */
export function typeNameOfUrl(typeUrl: string): string {
  const slash = typeUrl.lastIndexOf('/');
  return slash >= 0 ? typeUrl.slice(slash + 1) : typeUrl;
}

/** Finds a message type by full name or type URL, loading its file; undefined when the protos lack it. */
export function findMessageType(nameOrUrl: string): protobuf.Type | undefined {
  return sharedRoot().findType(typeNameOfUrl(nameOrUrl));
}

export function messageType(name: string): protobuf.Type {
  const type = findMessageType(name);
  if (!type) throw new Error(`proto message type ${name} is not loaded`);
  return type;
}
