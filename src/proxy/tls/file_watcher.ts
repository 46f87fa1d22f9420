// Change notifications for certificate, key and SDS files. One fs.watch per
// directory, shared by every subscriber: watching the directory (not the file) sees
// in-place rewrites, atomic renames, and Kubernetes' `..data` symlink swaps alike,
// which is why Envoy's watched_directory exists. Subscribers re-read and compare
// content, so an unrelated event in the directory costs a read and nothing more.
import fs from 'node:fs';
import path from 'node:path';
import { logger } from '../../common/logger.js';
import { WeakSubscribers } from './weak_subscribers.js';

const log = logger('file');

export interface FileChangeSubscriber {
  onFilesChanged(): void;
}

interface DirectoryWatch {
  watcher: fs.FSWatcher;
  subscribers: WeakSubscribers<FileChangeSubscriber>;
}

const watches = new Map<string, DirectoryWatch>();
/** Events arriving within this window are one change (editors and cp write in steps). */
const SETTLE_MS = 25;
const pending = new WeakMap<FileChangeSubscriber, NodeJS.Timeout>();

function notify(subscriber: FileChangeSubscriber): void {
  const previous = pending.get(subscriber);
  if (previous) clearTimeout(previous);
  const ref = new WeakRef(subscriber);
  const timer = setTimeout(() => {
    const s = ref.deref();
    if (s) pending.delete(s);
    s?.onFilesChanged();
  }, SETTLE_MS);
  timer.unref();
  pending.set(subscriber, timer);
}

function openWatch(dir: string): DirectoryWatch | undefined {
  const existing = watches.get(dir);
  if (existing) return existing;
  let watcher: fs.FSWatcher;
  try {
    watcher = fs.watch(dir, { persistent: false });
  } catch (err) {
    log.warn(`cannot watch ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return undefined;
  }
  const entry: DirectoryWatch = { watcher, subscribers: new WeakSubscribers() };
  watcher.on('change', () => {
    const live = entry.subscribers.live();
    if (!live.length) return closeWatch(dir);
    for (const s of live) notify(s);
  });
  watcher.on('error', (err) => {
    log.warn(`watch on ${dir} failed: ${err.message}`);
    closeWatch(dir);
  });
  watches.set(dir, entry);
  return entry;
}

function closeWatch(dir: string): void {
  const entry = watches.get(dir);
  if (!entry) return;
  watches.delete(dir);
  entry.watcher.close();
}

/**
 * Calls `subscriber.onFilesChanged()` (settled) when anything changes in the
 * directories holding `files` or in `directories`. Returns the unsubscribe function.
 * The subscriber is held weakly: keep it referenced for as long as it should hear.
 */
export function watchFiles(files: Iterable<string>, directories: Iterable<string>, subscriber: FileChangeSubscriber): () => void {
  const dirs = new Set<string>([...files].map((f) => path.dirname(path.resolve(f))));
  for (const d of directories) dirs.add(path.resolve(d));
  const removers: Array<() => void> = [];
  for (const dir of dirs) {
    const watch = openWatch(dir);
    if (watch) removers.push(watch.subscribers.add(subscriber));
  }
  return () => {
    for (const remove of removers) remove();
    for (const dir of dirs) if (watches.get(dir)?.subscribers.empty) closeWatch(dir);
  };
}

/** Directories currently watched (for tests and debugging). */
export function watchedDirectories(): string[] {
  return [...watches.keys()].sort();
}
