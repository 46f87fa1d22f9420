// A folder of raw Envoy resources → versioned xDS snapshots. Each scan reads only
// the files whose size/mtime changed (or that a watcher named), keeps the last good
// parse of every file, and publishes the union of what resolveFolder() accepts. A
// broken file never takes its last good resources away from the proxies.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, formatIssue, type ConfigIssue } from '../../../api/json/issues.js';
import { ADS_PUSH_ORDER, SHORT_NAME, type XdsTypeUrl } from '../../../api/xds/resource_types.js';
import { Snapshot, type ResourcesByType } from '../cache/snapshot.js';
import { parseResourceFile, type FileResource } from './parse.js';
import { resolveFolder } from './resolve.js';

/** File names the folder serves; everything else (editor backups, READMEs) is ignored. */
export const RESOURCE_FILE = /\.(ya?ml|json)$/i;
/** Deep enough for any sane layout, shallow enough to stop a symlink loop. */
const MAX_DEPTH = 8;

export type FileState = 'ok' | 'rejected' | 'held';

export interface FileStatus {
  file: string;
  /** ok: serving its current content; rejected: it does not parse; held: it parses but conflicts. */
  state: FileState;
  /** How many resources of this file are being served (its last good version when not ok). */
  served: number;
  issues: string[];
}

/** A file whose problems changed in a scan: worth one log line each. */
export interface FileReport {
  file: string;
  state: FileState | 'removed';
  /** The file is gone from disk (a 'held' removed file is still served: something refers to it). */
  removed: boolean;
  /** The state last reported (undefined for a file seen for the first time). */
  previous?: FileState | 'removed';
  issues: ConfigIssue[];
  warnings: ConfigIssue[];
}

export interface ScanResult {
  /** Set when the served resources changed: publish it. */
  snapshot?: Snapshot;
  reports: FileReport[];
  /** Problems with the folder itself (unreadable) or with building the snapshot. */
  errors: string[];
}

interface Tracked {
  file: string;
  fingerprint: string;
  contentHash: string;
  latest?: FileResource[];
  served: readonly FileResource[];
  parseIssues: ConfigIssue[];
  conflicts: ConfigIssue[];
  removed: boolean;
  /** What was last reported, to log a problem once rather than on every scan. */
  lastReport: string;
  lastState?: FileState | 'removed';
}

export class ResourceFolder {
  private readonly files = new Map<string, Tracked>();
  private current?: Snapshot;
  private counter = 0;
  private versionString = '';
  private dirs: string[] = [];

  /** `dir` is shown as given in messages, like `skein proxy -c PATH`. */
  constructor(readonly dir: string) {}

  get snapshot(): Snapshot | undefined {
    return this.current;
  }

  /** The directories the last scan walked (the folder and its subdirectories). */
  get directories(): readonly string[] {
    return this.dirs;
  }

  /** The version of the last published snapshot ('' before the first). */
  get version(): string {
    return this.versionString;
  }

  /**
   * Rescans the folder. `reread` forces reading files even when their size and
   * mtime look unchanged ('all', or display paths a watcher reported): an editor
   * can write the same size within one mtime tick.
   */
  scan(reread: 'all' | ReadonlySet<string> = new Set()): ScanResult {
    const errors: string[] = [];
    let found: Map<string, string>;
    try {
      const dirs: string[] = [];
      found = listResourceFiles(this.dir, dirs);
      this.dirs = dirs;
    } catch (err) {
      // A vanished or unreadable folder keeps serving what it served: deleting the
      // folder by mistake should not empty every proxy.
      return { reports: [], errors: [`cannot read ${this.dir}: ${(err as Error).message}`] };
    }
    const warningsByFile = new Map<string, ConfigIssue[]>();
    // Nothing read differently: skip resolving and encoding (this runs every second).
    let changed = false;
    for (const [file, fingerprint] of found) {
      let t = this.files.get(file);
      const forced = reread === 'all' || reread.has(file);
      if (t && !t.removed && t.fingerprint === fingerprint && !forced) continue;
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        continue; // gone between listing and reading: the next scan sees it removed
      }
      const contentHash = createHash('sha256').update(text).digest('hex');
      if (!t) {
        t = { file, fingerprint, contentHash: '', served: [], parseIssues: [], conflicts: [], removed: false, lastReport: '' };
        this.files.set(file, t);
      }
      t.fingerprint = fingerprint;
      const wasRemoved = t.removed;
      t.removed = false;
      if (t.contentHash === contentHash && !wasRemoved) continue;
      t.contentHash = contentHash;
      changed = true;
      try {
        const parsed = parseResourceFile(text, file);
        t.latest = parsed.resources;
        t.parseIssues = [];
        if (parsed.warnings.length) warningsByFile.set(file, parsed.warnings);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        t.parseIssues = err.issues;
        // Freeze at what is served: a version held back earlier and then replaced
        // by this broken one is not what the user wants served either.
        t.latest = t.served as FileResource[];
      }
    }
    for (const [file, t] of this.files) {
      if (found.has(file) || t.removed) continue;
      t.removed = true;
      changed = true;
      t.latest = [];
      t.parseIssues = [];
      t.contentHash = '';
    }
    if (!changed && this.current) return { snapshot: undefined, reports: [], errors };
    this.resolve();
    const reports = this.collectReports(warningsByFile);
    const snapshot = this.buildSnapshot(errors);
    return { snapshot, reports, errors };
  }

  private resolve(): void {
    const tracked = [...this.files.values()].sort((a, b) => a.file.localeCompare(b.file));
    const { serve, conflicts } = resolveFolder(
      tracked.map((t) => ({ file: t.file, served: t.served, desired: t.latest !== undefined && t.latest !== t.served ? t.latest : undefined })),
    );
    tracked.forEach((t, i) => {
      t.served = serve[i]!;
      // Accepted: the new version is now the served one (same array, so "unchanged").
      if (t.latest !== undefined && sameResources(t.latest, t.served)) t.latest = t.served as FileResource[];
      t.conflicts = conflicts.get(i) ?? [];
    });
  }

  private collectReports(warningsByFile: Map<string, ConfigIssue[]>): FileReport[] {
    const reports: FileReport[] = [];
    for (const [file, t] of [...this.files].sort(([a], [b]) => a.localeCompare(b))) {
      const issues = [...t.parseIssues, ...t.conflicts];
      const state: FileReport['state'] = t.removed && t.served.length === 0 ? 'removed' : stateOf(t);
      const key = `${state}\n${issues.map(formatIssue).join('\n')}`;
      const warnings = warningsByFile.get(file) ?? [];
      if (key !== t.lastReport || warnings.length) reports.push({ file, state, removed: t.removed, previous: t.lastState, issues, warnings });
      t.lastReport = key;
      t.lastState = state;
      if (state === 'removed') this.files.delete(file);
    }
    return reports;
  }

  private buildSnapshot(errors: string[]): Snapshot | undefined {
    const byType: Partial<Record<XdsTypeUrl, Record<string, unknown>[]>> = {};
    for (const t of [...this.files.values()].sort((a, b) => a.file.localeCompare(b.file))) {
      for (const r of t.served) (byType[r.typeUrl] ??= []).push(r.message);
    }
    try {
      // Built once to see whether anything changed and hash it, then with its final
      // version string; unchanged types keep their version so proxies are not
      // asked to re-ACK them.
      const probe = Snapshot.fromResources('\u0000probe', byType as ResourcesByType, this.current);
      if (this.current && ADS_PUSH_ORDER.every((type) => probe.version(type) !== '\u0000probe')) return undefined;
      const version = `${this.counter + 1}-${contentHash(probe)}`;
      const snapshot = Snapshot.fromResources(version, byType as ResourcesByType, this.current);
      const dangling = snapshot.consistencyErrors();
      if (dangling.length) {
        errors.push(...dangling.map((e) => `not serving version ${version}: ${e}`));
        return undefined;
      }
      this.counter++;
      this.versionString = version;
      this.current = snapshot;
      return snapshot;
    } catch (err) {
      errors.push(`cannot build a snapshot: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** Per-file state, for logs and the status endpoint. */
  status(): FileStatus[] {
    return [...this.files.values()]
      .sort((a, b) => a.file.localeCompare(b.file))
      .map((t) => ({ file: t.file, state: stateOf(t), served: t.served.length, issues: [...t.parseIssues, ...t.conflicts].map(formatIssue) }));
  }
}

function stateOf(t: Tracked): FileState {
  if (t.parseIssues.length) return 'rejected';
  if (t.conflicts.length) return 'held';
  return 'ok';
}

function sameResources(a: readonly FileResource[], b: readonly FileResource[]): boolean {
  return a.length === b.length && a.every((r, i) => r === b[i]);
}

/** A short hash of every resource's content version: the same folder, the same suffix. */
function contentHash(snapshot: Snapshot): string {
  const h = createHash('sha256');
  for (const type of ADS_PUSH_ORDER) {
    for (const [name, r] of [...snapshot.resources(type)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) h.update(`${type}\u0000${name}\u0000${r.version}\n`);
  }
  return h.digest('hex').slice(0, 8);
}

/** "CDS 1, EDS 1, LDS 1, RDS 1, SDS 0": the counts logged with every new version. */
export function describeCounts(snapshot: Snapshot): string {
  return ADS_PUSH_ORDER.map((type) => `${SHORT_NAME[type]} ${snapshot.resources(type).size}`).join(', ');
}

/**
 * Every resource file under `dir` (recursively; hidden entries skipped, so a
 * Kubernetes ConfigMap mount's `..data` is read once, through its symlinks), with
 * a fingerprint that changes when the file does. `dirs` receives every directory
 * walked (the watcher watches each one).
 */
export function listResourceFiles(dir: string, dirs: string[] = []): Map<string, string> {
  const out = new Map<string, string>();
  const seenDirs = new Set<string>();
  const walk = (d: string, depth: number) => {
    const real = fs.realpathSync(d);
    if (seenDirs.has(real) || depth > MAX_DEPTH) return;
    seenDirs.add(real);
    dirs.push(d);
    for (const name of fs.readdirSync(d).sort()) {
      if (name.startsWith('.')) continue;
      const p = path.join(d, name);
      let st: fs.Stats;
      try {
        st = fs.statSync(p);
      } catch {
        continue; // a dangling symlink or a file removed mid-scan
      }
      if (st.isDirectory()) walk(p, depth + 1);
      else if (st.isFile() && RESOURCE_FILE.test(name)) out.set(p, `${st.ino}:${st.size}:${st.mtimeMs}`);
    }
  };
  const top = fs.statSync(dir);
  if (!top.isDirectory()) throw new Error('not a directory');
  walk(dir, 0);
  return out;
}
