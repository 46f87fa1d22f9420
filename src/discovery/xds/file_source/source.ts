// Keeps a ResourceFolder in step with the disk and hands every new snapshot to the
// cache. fs.watch gives quick notice but misses editors' rename-writes and some
// file systems entirely, so a cheap stat-only rescan runs every second as well;
// watch events are debounced so a multi-file save becomes one version.
import fs from 'node:fs';
import path from 'node:path';
import { formatIssue } from '../../../api/json/issues.js';
import { logger, type Logger } from '../../../common/logger.js';
import type { Snapshot } from '../cache/snapshot.js';
import { describeCounts, ResourceFolder, type FileReport, type FileStatus, type ScanResult } from './folder.js';

export interface FileSourceOptions {
  dir: string;
  /** Called with every new snapshot (the first one from start()). */
  publish(snapshot: Snapshot): void;
  /** Quiet time after a watch event before rescanning (default 100 ms). */
  debounceMs?: number;
  /** Interval of the stat-only fallback rescan (default 1000 ms; 0 disables it). */
  rescanMs?: number;
  log?: Logger;
}

export interface SourceStatus {
  dir: string;
  version: string;
  /** Resource counts by short type name (LDS, RDS, CDS, EDS, SDS). */
  counts: string;
  files: FileStatus[];
}

export class FileXdsSource {
  readonly folder: ResourceFolder;
  private readonly log: Logger;
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private watchFailed = false;
  private rescanTimer?: NodeJS.Timeout;
  private debounceTimer?: NodeJS.Timeout;
  private pending = new Set<string>();
  private folderError = '';
  private closed = false;

  constructor(private readonly options: FileSourceOptions) {
    this.folder = new ResourceFolder(options.dir);
    this.log = options.log ?? logger('xds');
  }

  /** Scans once (publishing the first snapshot) and starts watching. */
  start(): ScanResult {
    const result = this.rescan('all');
    const every = this.options.rescanMs ?? 1000;
    if (every > 0) this.rescanTimer = setInterval(() => this.rescan(new Set()), every);
    return result;
  }

  close(): void {
    this.closed = true;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    clearInterval(this.rescanTimer);
    clearTimeout(this.debounceTimer);
  }

  status(): SourceStatus {
    const snapshot = this.folder.snapshot;
    return { dir: this.options.dir, version: this.folder.version, counts: snapshot ? describeCounts(snapshot) : '', files: this.folder.status() };
  }

  /** Rescans now; the result says what changed (tests and the CLI's first scan use it). */
  rescan(reread: 'all' | ReadonlySet<string>): ScanResult {
    const result = this.folder.scan(reread);
    const folderError = result.errors.join('\n');
    if (folderError !== this.folderError) for (const e of result.errors) this.log.error(e);
    this.folderError = folderError;
    for (const report of result.reports) this.logReport(report);
    this.syncWatchers();
    if (result.snapshot) {
      const files = this.folder.status().filter((f) => f.served > 0).length;
      this.log.info(`serving version ${this.folder.version} from ${this.options.dir} (${files} file${files === 1 ? '' : 's'}): ${describeCounts(result.snapshot)}`);
      this.options.publish(result.snapshot);
    }
    return result;
  }

  private logReport(report: FileReport): void {
    for (const w of report.warnings) this.log.warn(`${formatIssue(w)} (served anyway)`);
    const served = this.folder.status().find((f) => f.file === report.file)?.served ?? 0;
    const keeping = served ? `keeping its last good version (${served} resource${served === 1 ? '' : 's'})` : 'none of its resources are served';
    switch (report.state) {
      case 'rejected':
        this.log.error(`rejected ${report.file}: ${keeping}`);
        for (const issue of report.issues) this.log.error(`  ${formatIssue(issue)}`);
        break;
      case 'held':
        if (report.removed) this.log.error(`still serving ${report.file} although it was removed: the rest of the folder refers to it`);
        else this.log.error(`held back ${report.file}: it conflicts with the rest of the folder; ${keeping}`);
        for (const issue of report.issues) this.log.error(`  ${formatIssue(issue)}`);
        break;
      case 'removed':
        this.log.info(`removed ${report.file}`);
        break;
      case 'ok':
        if (report.previous === 'rejected' || report.previous === 'held') this.log.info(`accepted ${report.file} (its problems are fixed)`);
        else this.log.debug(`loaded ${report.file}`);
        break;
    }
  }

  /**
   * One non-recursive watcher per directory, kept in step with the folder's
   * subdirectories after every scan. Node 20's recursive mode on Linux watches
   * files by inode and goes deaf to a file an editor replaced by rename; a
   * directory watch sees every entry that is created, renamed or written.
   */
  private syncWatchers(): void {
    if (this.closed || this.watchFailed) return;
    const wanted = new Set(this.folder.directories);
    for (const [dir, watcher] of this.watchers) {
      if (wanted.has(dir)) continue;
      watcher.close();
      this.watchers.delete(dir);
    }
    for (const dir of wanted) {
      if (this.watchers.has(dir)) continue;
      try {
        const watcher = fs.watch(dir, (_event, filename) => this.onEvent(dir, filename));
        // e.g. the directory was removed: the rescan notices and the next sync drops it.
        watcher.on('error', () => {
          watcher.close();
          this.watchers.delete(dir);
        });
        this.watchers.set(dir, watcher);
      } catch (err) {
        this.watchFailed = true;
        this.log.warn(`cannot watch ${dir} (${(err as Error).message}); relying on the periodic rescan`);
        return;
      }
    }
  }

  private onEvent(dir: string, filename: string | Buffer | null): void {
    if (this.closed) return;
    // Without a name (some platforms) the whole folder is re-read.
    this.pending.add(filename ? path.join(dir, filename.toString()) : '*');
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => this.flush(), this.options.debounceMs ?? 100);
  }

  private flush(): void {
    const names = this.pending;
    this.pending = new Set();
    this.rescan(names.has('*') ? 'all' : names);
  }
}
