// The config store of `skein discovery` and `skein mesh up`: the objects of some
// folders (and files) of YAML, kept in step with the disk. Every file is re-parsed
// when it changes and the whole set recombined (file order, duplicates dropped), so
// an invalid object is reported and skipped while the rest keeps working.
//
// fs.watch gives quick notice, but misses editors' rename-writes on some file
// systems and is absent on others, so a cheap stat-only rescan runs as well (every
// 500 ms by default); watch events are debounced so a multi-file save is one change.
// A file that is not valid YAML at all (often one caught half-written) keeps its last
// good objects until it parses again; its error is reported meanwhile.
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import type { ConfigObject } from '../../api/istio/types.js';
import { listConfigFiles } from './files.js';
import type { ConfigIssue } from './issues.js';
import { combineFiles, type FileResult } from './load.js';
import { parseConfigTextKeepingDuplicates } from './parse.js';

export interface ConfigSnapshot {
  objects: readonly ConfigObject[];
  issues: readonly ConfigIssue[];
}

export interface ConfigStoreOptions {
  /** Quiet time after a watch event before re-reading (default 100 ms). */
  debounceMs?: number;
  /** Interval of the stat-only rescan (default 500 ms; 0 turns it off). */
  pollMs?: number;
  /** Use fs.watch for quick notice (default true); without it only the rescan sees changes. */
  watch?: boolean;
}

interface TrackedFile {
  fingerprint: string;
  contentHash: string;
  /** What is served for this file: its latest parse, or its last good objects when it does not parse. */
  result: FileResult;
}

export class ConfigStore extends EventEmitter<{ change: [ConfigSnapshot] }> {
  private readonly files = new Map<string, TrackedFile>();
  private pathIssues: ConfigIssue[] = [];
  private current: ConfigSnapshot = { objects: [], issues: [] };
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private watchFailed = false;
  private pollTimer?: NodeJS.Timeout;
  private debounceTimer?: NodeJS.Timeout;
  private listingKey = '';
  private closed = false;

  constructor(
    readonly paths: readonly string[],
    private readonly options: ConfigStoreOptions = {},
  ) {
    super();
  }

  /** A store holding fixed objects (tests, or callers that build config in memory); it never watches. */
  static fromObjects(objects: readonly ConfigObject[], issues: readonly ConfigIssue[] = []): ConfigStore {
    const store = new ConfigStore([]);
    store.current = { objects: [...objects], issues: [...issues] };
    store.closed = true;
    return store;
  }

  /** Loads everything once (no 'change' for this first load: read objects()), then keeps watching until close(). */
  async start(): Promise<void> {
    if (this.closed) return;
    this.scan(true, false);
    const every = this.options.pollMs ?? 500;
    // Not unref'd: a running store keeps the process alive until close(), like a server.
    if (every > 0) this.pollTimer = setInterval(() => this.rescan(false), every);
  }

  objects(): readonly ConfigObject[] {
    return this.current.objects;
  }

  issues(): readonly ConfigIssue[] {
    return this.current.issues;
  }

  close(): void {
    this.closed = true;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    clearInterval(this.pollTimer);
    clearTimeout(this.debounceTimer);
  }

  /**
   * Re-reads the paths now. `rereadAll` reads every file even when its size and
   * mtime look unchanged (an editor can write the same size within one mtime tick);
   * otherwise only files whose stat changed are read. Emits 'change' and returns
   * true when any file's content, or the set of files, changed.
   */
  rescan(rereadAll: boolean): boolean {
    return this.scan(rereadAll, true);
  }

  private scan(rereadAll: boolean, emit: boolean): boolean {
    if (this.closed && this.paths.length === 0) return false;
    const listing = listConfigFiles(this.paths);
    let changed = false;
    for (const [file, fingerprint] of listing.files) {
      const tracked = this.files.get(file);
      if (tracked && tracked.fingerprint === fingerprint && !rereadAll) continue;
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        continue; // removed between listing and reading: the next scan sees it gone
      }
      const contentHash = createHash('sha256').update(text).digest('hex');
      if (tracked && tracked.contentHash === contentHash) {
        tracked.fingerprint = fingerprint;
        continue;
      }
      this.files.set(file, { fingerprint, contentHash, result: this.parse(file, text, tracked) });
      changed = true;
    }
    for (const file of [...this.files.keys()]) {
      if (listing.files.has(file)) continue;
      this.files.delete(file);
      changed = true;
    }
    // Issues about the paths themselves (a folder that vanished or is empty) count as changes too.
    const listingKey = JSON.stringify(listing.issues) + '\n' + [...listing.files.keys()].join('\n');
    if (listingKey !== this.listingKey) changed = true;
    this.listingKey = listingKey;
    this.pathIssues = listing.issues;
    this.syncWatchers(listing.directories);
    if (!changed) return false;
    const ordered = [...listing.files.keys()].map((f) => this.files.get(f)?.result).filter((r): r is FileResult => !!r);
    const combined = combineFiles(ordered, this.pathIssues);
    this.current = { objects: combined.objects, issues: combined.issues };
    if (emit) this.emit('change', this.current);
    return true;
  }

  private parse(file: string, text: string, previous: TrackedFile | undefined): FileResult {
    const parsed = parseConfigTextKeepingDuplicates(text, file);
    const lastGood = previous?.result.objects ?? [];
    if (!parsed.syntaxError || lastGood.length === 0) return { file, objects: parsed.objects, issues: parsed.issues };
    const n = lastGood.length;
    const issues = parsed.issues.map((i) => ({ ...i, message: `${i.message} (keeping the file's last good ${n === 1 ? 'object' : `${n} objects`})` }));
    return { file, objects: lastGood, issues };
  }

  /**
   * One non-recursive watcher per directory, kept in step with the walked folders.
   * Node 20's recursive mode on Linux watches by inode and goes deaf to a file an
   * editor replaced by rename; a directory watch sees every entry that changes.
   */
  private syncWatchers(directories: readonly string[]): void {
    if (this.closed || this.watchFailed || this.options.watch === false) return;
    const wanted = new Set(directories);
    for (const [dir, watcher] of this.watchers) {
      if (wanted.has(dir)) continue;
      watcher.close();
      this.watchers.delete(dir);
    }
    for (const dir of wanted) {
      if (this.watchers.has(dir)) continue;
      try {
        const watcher = fs.watch(dir, () => this.onWatchEvent());
        watcher.on('error', () => {
          // e.g. the directory was removed: the next scan notices, and the next sync drops it.
          watcher.close();
          this.watchers.delete(dir);
        });
        this.watchers.set(dir, watcher);
      } catch {
        // No watching here (an exotic file system, or too many watches): the poll still sees changes.
        this.watchFailed = true;
        return;
      }
    }
  }

  private onWatchEvent(): void {
    if (this.closed) return;
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => this.rescan(true), this.options.debounceMs ?? 100);
  }
}
