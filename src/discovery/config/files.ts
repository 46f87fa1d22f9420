// Which files a set of config paths means, in the order the store reads them. Istio
// orders VirtualServices (and the rest) by creation time; a folder has none, so file
// order stands in for it: paths as given, each directory walked depth-first with its
// entries sorted by name, documents in file order.
import fs from 'node:fs';
import path from 'node:path';
import { compareStrings, type ConfigIssue } from './issues.js';

/** File names the store reads; everything else (READMEs, editor backups) is ignored. */
export const CONFIG_FILE = /\.(ya?ml|json)$/i;
/** Deep enough for any sane layout, shallow enough to stop a symlink loop. */
const MAX_DEPTH = 8;

export interface ConfigFileList {
  /** Display path (as given, joined with the relative path) → fingerprint (changes when the file does). */
  files: Map<string, string>;
  /** Every directory walked (the store watches each one; a file path's own directory too). */
  directories: string[];
  /** Paths that do not exist or cannot be read, and folders without any config file. */
  issues: ConfigIssue[];
}

export function listConfigFiles(paths: readonly string[]): ConfigFileList {
  const out: ConfigFileList = { files: new Map(), directories: [], issues: [] };
  const seenReal = new Set<string>();
  const seenDirs = new Set<string>();
  const add = (p: string, st: fs.Stats) => {
    let real: string;
    try {
      real = fs.realpathSync(p);
    } catch {
      return;
    }
    if (seenReal.has(real)) return; // the same file named twice (a folder and a file in it)
    seenReal.add(real);
    out.files.set(p, `${st.ino}:${st.size}:${st.mtimeMs}`);
  };
  const walk = (dir: string, depth: number) => {
    let real: string;
    try {
      real = fs.realpathSync(dir);
    } catch {
      return;
    }
    if (seenDirs.has(real) || depth > MAX_DEPTH) return;
    seenDirs.add(real);
    out.directories.push(dir);
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort(compareStrings);
    } catch (err) {
      out.issues.push({ severity: 'error', file: dir, line: 0, message: `cannot read directory: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      return;
    }
    for (const name of names) {
      // Hidden entries are skipped, so a Kubernetes ConfigMap mount's `..data` is read once, through its symlinks.
      if (name.startsWith('.')) continue;
      const p = path.join(dir, name);
      let st: fs.Stats;
      try {
        st = fs.statSync(p);
      } catch {
        continue; // a dangling symlink, or removed while we looked
      }
      if (st.isDirectory()) walk(p, depth + 1);
      else if (st.isFile() && CONFIG_FILE.test(name)) add(p, st);
    }
  };
  for (const p of paths) {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      out.issues.push({ severity: 'error', file: p, line: 0, message: code === 'ENOENT' ? 'no such file or directory' : `cannot read: ${code ?? (err as Error).message}` });
      continue;
    }
    if (st.isDirectory()) {
      const before = out.files.size;
      walk(p, 0);
      if (out.files.size === before) out.issues.push({ severity: 'warning', file: p, line: 0, message: 'no .yaml, .yml or .json files found' });
    } else {
      out.directories.push(path.dirname(p));
      add(p, st);
    }
  }
  return out;
}
