// Where each field of a stored ConfigObject was written. The config store copies
// every value it accepts into fresh objects, so the parser's PositionIndex no longer
// applies; this side table (weak, so it goes away with the objects) lets `analyze`,
// translation and push logs point at the exact line of a field, not just the document.
import type { ConfigObject, SourceRef } from '../../api/istio/types.js';

const positions = new WeakMap<object, Map<string | number, SourceRef>>();

export function recordPosition(container: object, key: string | number, ref: SourceRef | undefined): void {
  if (!ref) return;
  let keys = positions.get(container);
  if (!keys) positions.set(container, (keys = new Map()));
  keys.set(key, ref);
}

/** Where `container[key]` was written, if the config store recorded it. */
export function positionOf(container: unknown, key: string | number): SourceRef | undefined {
  if (container === null || typeof container !== 'object') return undefined;
  return positions.get(container)?.get(key);
}

/**
 * The line of the deepest field along `path` that has a known position, e.g.
 * `locate(vs, ['spec', 'http', 0, 'route', 0, 'destination', 'host'])`; falls back
 * to the object's own source (the start of its document).
 */
export function locate(obj: ConfigObject, path: readonly (string | number)[]): SourceRef {
  let best: SourceRef = obj.source;
  let container: unknown = obj;
  for (const key of path) {
    const here = positionOf(container, key);
    if (here) best = here;
    if (container === null || typeof container !== 'object') break;
    container = (container as Record<string | number, unknown>)[key];
  }
  return best;
}
