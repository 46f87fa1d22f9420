// Label selectors and exportTo visibility: the two small predicates the registry and
// every PushContext index share.

/** True when every key/value of `selector` is in `labels`. An empty or absent selector selects everything. */
export function selectorMatches(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector)) {
    if (labels[k] !== v) return false;
  }
  return true;
}

/**
 * Normalises an exportTo list for an object in `ownNamespace`: empty/absent → ['*'];
 * '.' becomes the own namespace; '~' (visible to none) is kept as the only entry.
 */
export function normaliseExportTo(exportTo: readonly string[] | undefined, ownNamespace: string): string[] {
  if (!exportTo || exportTo.length === 0) return ['*'];
  if (exportTo.includes('~')) return ['~'];
  if (exportTo.includes('*')) return ['*'];
  const out = new Set<string>();
  for (const e of exportTo) out.add(e === '.' ? ownNamespace : e);
  return [...out].sort();
}

/** True when an object with a normalised exportTo list is visible from `namespace`. */
export function visibleFrom(exportTo: readonly string[], namespace: string): boolean {
  return exportTo.includes('*') || exportTo.includes(namespace);
}
