// Every benchmark runs skein from a copy of bin/, dist/, src/ (data files read at
// run time) and package.json taken at its start, with node_modules linked: other
// people rebuild dist/ while a benchmark runs, and one run must measure one build
// (a half-written dist/ would otherwise break a server mid-run).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Copies the tree into `dir` and returns it. Child processes (xDS bench clients)
 * find it through SKEIN_BENCH_HOME, which this sets.
 */
export function snapshotSkein(dir) {
  for (const part of ['bin', 'dist', 'src', 'package.json']) fs.cpSync(path.join(ROOT, part), path.join(dir, part), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  process.env.SKEIN_BENCH_HOME = dir;
  return dir;
}

/** The copy to run (after snapshotSkein, also in child processes), else the tree itself. */
export const skeinHome = () => process.env.SKEIN_BENCH_HOME ?? ROOT;

/** Which skein was measured: the commit, how many src files differed from it, when dist/ was built. */
export function skeinRevision() {
  const git = (...args) => spawnSync('git', ['-C', ROOT, ...args], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const dirty = git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean).length;
  return { commit: git('rev-parse', '--short', 'HEAD'), srcFilesChanged: dirty, distBuilt: fs.statSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js')).mtime.toISOString() };
}
