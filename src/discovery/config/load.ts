// One-shot loading of config paths (what `skein analyze` does; the ConfigStore does
// the same and then keeps watching).
import fs from 'node:fs/promises';
import type { ConfigObject } from '../../api/istio/types.js';
import { listConfigFiles } from './files.js';
import { sortIssues, type ConfigIssue } from './issues.js';
import { dropDuplicates, parseConfigTextKeepingDuplicates, type ParseResult } from './parse.js';

export interface FileResult extends ParseResult {
  file: string;
}

/** The objects of several files in order, duplicates across files dropped (the later one reported). */
export function combineFiles(files: readonly FileResult[], extraIssues: readonly ConfigIssue[] = []): ParseResult {
  const objects: ConfigObject[] = [];
  const issues: ConfigIssue[] = [...extraIssues];
  for (const f of files) {
    objects.push(...f.objects);
    issues.push(...f.issues);
  }
  const combined = dropDuplicates(objects, issues);
  return { objects: combined.objects, issues: sortIssues(combined.issues, files.map((f) => f.file)) };
}

/** Reads directories (recursively: *.yaml, *.yml, *.json, sorted) and single files. */
export async function loadConfigDirs(paths: readonly string[]): Promise<ParseResult> {
  const listing = listConfigFiles(paths);
  const files: FileResult[] = [];
  for (const file of listing.files.keys()) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      files.push({ file, objects: [], issues: [{ severity: 'error', file, line: 0, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }] });
      continue;
    }
    files.push({ file, ...parseConfigTextKeepingDuplicates(text, file) });
  }
  return combineFiles(files, listing.issues);
}
