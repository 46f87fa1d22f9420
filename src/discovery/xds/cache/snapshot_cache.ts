// Snapshots per node group, and the watches streams leave while they wait for a
// change (go-control-plane's SnapshotCache). A watch answers at most once: the stream
// opens a new one with its next request, so each stream has at most one unanswered
// response per type and a slow proxy is never flooded.
import { ADS_PUSH_ORDER } from '../../../api/xds/resource_types.js';
import { logger } from '../../../common/logger.js';
import { changedNames, deltaAnswer, sotwAnswer } from './answer.js';
import { SnapshotError, type Snapshot } from './snapshot.js';
import type {
  CancelWatch,
  ConfigWatcher,
  DeltaResponse,
  DeltaWatchRequest,
  Node,
  SotwResponse,
  SotwWatchRequest,
} from './types.js';

export interface SnapshotCacheOptions {
  /** The snapshot key of a node (default: its id), e.g. to share one snapshot per cluster. */
  nodeHash?: (node: Node) => string;
}

type Watch =
  | { kind: 'sotw'; request: SotwWatchRequest; respond: (r: SotwResponse) => void }
  | {
      kind: 'delta';
      request: DeltaWatchRequest;
      respond: (r: DeltaResponse) => void;
      /** The snapshot this watch was found up to date with, when it was parked. */
      basis?: Snapshot;
    };

/** Per setSnapshot: the names that changed since each basis snapshot, per type. */
type ChangeIndex = Map<Snapshot, Map<string, { changed: string[] }>>;

const log = logger('xds');

export class SnapshotCache implements ConfigWatcher {
  private readonly snapshots = new Map<string, Snapshot>();
  /** key → type URL → open watches (per type so a new snapshot answers in ADS order). */
  private readonly watches = new Map<string, Map<string, Set<Watch>>>();
  readonly nodeHash: (node: Node) => string;

  constructor(options: SnapshotCacheOptions = {}) {
    this.nodeHash = options.nodeHash ?? ((node) => node.id ?? '');
  }

  /**
   * Publishes a snapshot for `key` and answers every open watch of that key that now
   * has something to send, type by type in ADS push order (CDS, EDS, LDS, RDS, SDS),
   * so each ADS stream sees clusters before endpoints and listeners before routes.
   * Refuses an inconsistent snapshot: a proxy must never be sent a dangling reference.
   */
  setSnapshot(key: string, snapshot: Snapshot): void {
    const errors = snapshot.consistencyErrors();
    if (errors.length) throw new SnapshotError(`snapshot for "${key}" is inconsistent: ${errors.join('; ')}`);
    this.snapshots.set(key, snapshot);
    const byType = this.watches.get(key);
    if (!byType) return;
    const triggeredAt = performance.now();
    const changes: ChangeIndex = new Map();
    for (const typeUrl of ADS_PUSH_ORDER) {
      const open = byType.get(typeUrl);
      if (!open) continue;
      for (const watch of open) {
        if (this.answer(watch, snapshot, triggeredAt, changes)) open.delete(watch);
      }
      if (open.size === 0) byType.delete(typeUrl);
    }
    if (byType.size === 0) this.watches.delete(key);
  }

  getSnapshot(key: string): Snapshot | undefined {
    return this.snapshots.get(key);
  }

  /** Forgets the snapshot; open watches stay and are answered by the next one. */
  clearSnapshot(key: string): void {
    this.snapshots.delete(key);
  }

  keys(): string[] {
    return [...this.snapshots.keys()];
  }

  /** Open watches, for status pages and tests. */
  openWatchCount(key?: string): number {
    let n = 0;
    for (const [k, byType] of this.watches) {
      if (key !== undefined && k !== key) continue;
      for (const set of byType.values()) n += set.size;
    }
    return n;
  }

  createWatch(node: Node, request: SotwWatchRequest, respond: (response: SotwResponse) => void): CancelWatch {
    return this.watch(node, { kind: 'sotw', request, respond });
  }

  createDeltaWatch(node: Node, request: DeltaWatchRequest, respond: (response: DeltaResponse) => void): CancelWatch {
    return this.watch(node, { kind: 'delta', request, respond });
  }

  fetch(node: Node, request: SotwWatchRequest): SotwResponse | undefined {
    const snapshot = this.snapshots.get(this.nodeHash(node));
    return snapshot && sotwAnswer(snapshot, request, performance.now());
  }

  private watch(node: Node, watch: Watch): CancelWatch {
    const key = this.nodeHash(node);
    const snapshot = this.snapshots.get(key);
    if (watch.kind === 'delta') watch.basis = watch.request.basis;
    if (snapshot && this.answer(watch, snapshot, performance.now())) return () => {};
    let byType = this.watches.get(key);
    if (!byType) this.watches.set(key, (byType = new Map()));
    let open = byType.get(watch.request.typeUrl);
    if (!open) byType.set(watch.request.typeUrl, (open = new Set()));
    open.add(watch);
    return () => {
      if (!open.delete(watch) || open.size > 0) return;
      if (byType.get(watch.request.typeUrl) === open) byType.delete(watch.request.typeUrl);
      if (byType.size === 0 && this.watches.get(key) === byType) this.watches.delete(key);
    };
  }

  /** Answers `watch` from `snapshot` if there is something to send; true when it did. */
  private answer(watch: Watch, snapshot: Snapshot, triggeredAt: number, changes?: ChangeIndex): boolean {
    try {
      if (watch.kind === 'sotw') {
        const response = sotwAnswer(snapshot, watch.request, triggeredAt);
        if (!response) return false;
        watch.respond(response);
      } else {
        const since = watch.basis && changesSince(changes, watch.basis, snapshot, watch.request.typeUrl);
        const response = deltaAnswer(snapshot, watch.request, triggeredAt, since);
        if (!response) {
          watch.basis = snapshot;
          return false;
        }
        watch.respond(response);
      }
      return true;
    } catch (err) {
      // One broken stream must not keep the others from their update.
      log.error(`xds watch for ${watch.request.typeUrl} failed: ${(err as Error).stack ?? err}`);
      return true;
    }
  }
}

function changesSince(index: ChangeIndex | undefined, basis: Snapshot, snapshot: Snapshot, typeUrl: string): { changed: string[] } {
  if (!index) return { changed: changedNames(basis, snapshot, typeUrl) };
  let byType = index.get(basis);
  if (!byType) index.set(basis, (byType = new Map()));
  let entry = byType.get(typeUrl);
  if (!entry) byType.set(typeUrl, (entry = { changed: changedNames(basis, snapshot, typeUrl) }));
  return entry;
}
