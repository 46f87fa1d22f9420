// Which version of each file the folder serves. Every file has the version it was
// last served with and, when it changed since and parses, a newer one it would like
// to serve. Taking every newer version may not make a consistent whole: two files
// may now define the same cluster, or a listener may name a route no file defines.
// Those files are held back (the last good version keeps serving) until the
// conflict goes away, so a half-finished edit never reaches a proxy; the problem is
// reported at the line that causes it.
import type { ConfigIssue } from '../../../api/json/issues.js';
import { SHORT_NAME } from '../../../api/xds/resource_types.js';
import { nameLocation, shortType, type FileResource } from './parse.js';
import { describeReference, referencesWithSpans } from './references.js';

export interface Candidate {
  /** Display path, as in messages. */
  readonly file: string;
  /** What the current snapshot holds from this file ([] for a file never served). */
  readonly served: readonly FileResource[];
  /** The latest successful parse, when it differs from `served`; [] for a removed file. */
  readonly desired?: readonly FileResource[];
}

export interface Resolution {
  /** What to serve from each candidate (same order as the input). */
  serve: Array<readonly FileResource[]>;
  /** Problems that held a candidate back, by index. */
  conflicts: Map<number, ConfigIssue[]>;
}

const keyOf = (typeUrl: string, name: string) => `${typeUrl}\u0000${name}`;

export function resolveFolder(candidates: readonly Candidate[]): Resolution {
  const serve: Array<readonly FileResource[]> = candidates.map((c) => c.desired ?? c.served);
  const conflicts = new Map<number, ConfigIssue[]>();
  const note = (i: number, issue: ConfigIssue) => {
    const list = conflicts.get(i) ?? [];
    if (!list.some((x) => x.message === issue.message && x.path === issue.path)) list.push(issue);
    conflicts.set(i, list);
  };
  /** True while candidate i serves its new version and could fall back to the served one. */
  const onNew = (i: number) => candidates[i]!.desired !== undefined && serve[i] === candidates[i]!.desired;
  // Each step moves a file from its new version to its served one, or from that to
  // nothing, so the loop ends after at most two steps per file.
  for (let round = 0; round <= 2 * candidates.length + 1; round++) {
    const owners = new Map<string, Array<{ i: number; r: FileResource }>>();
    serve.forEach((list, i) => {
      for (const r of list) {
        const k = keyOf(r.typeUrl, r.name);
        const entry = owners.get(k) ?? [];
        entry.push({ i, r });
        owners.set(k, entry);
      }
    });
    const holdBack = new Set<number>();
    for (const entries of owners.values()) {
      if (entries.length < 2) continue;
      // The definition already being served wins; among new ones, the first file.
      const keep = entries.find((e) => !onNew(e.i)) ?? entries[0]!;
      for (const e of entries) {
        if (e === keep) continue;
        holdBack.add(e.i);
        const where = `${candidates[keep.i]!.file}:${nameLocation(keep.r).span.line}`;
        const at = nameLocation(e.r);
        note(e.i, { path: at.path, message: `duplicate ${shortType(e.r.typeUrl)} "${e.r.name}": already defined at ${where}`, span: at.span });
      }
    }
    serve.forEach((list, i) => {
      for (const r of list) {
        for (const ref of referencesWithSpans(r)) {
          if (owners.has(keyOf(ref.typeUrl, ref.name))) continue;
          const base = `${describeReference(r, ref)}, which no file defines`;
          // A file that still refers to something another file's change removed:
          // the change is what is held back, so the listener keeps working.
          const provider = onNew(i) ? -1 : candidates.findIndex((c, j) => onNew(j) && c.served.some((x) => x.typeUrl === ref.typeUrl && x.name === ref.name));
          if (provider >= 0) {
            holdBack.add(provider);
            const other = candidates[provider]!.file;
            note(provider, { path: ref.path, message: `${base} (${other} no longer defines it, so ${other} keeps its last good version)`, span: ref.span });
          } else {
            holdBack.add(i);
            note(i, { path: ref.path, message: `${base} (define the ${SHORT_NAME[ref.typeUrl]} resource in a file of this folder)`, span: ref.span });
          }
        }
      }
    });
    if (holdBack.size === 0) break;
    for (const i of holdBack) serve[i] = onNew(i) ? candidates[i]!.served : [];
  }
  return { serve, conflicts };
}
