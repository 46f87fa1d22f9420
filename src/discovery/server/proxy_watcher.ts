// The ConfigWatcher the xDS server talks to: a decorator in front of the snapshot
// cache that gives a proxy its config the moment it first asks. The cache only
// serves snapshots someone published; istiod instead generates a proxy's config
// when its stream opens. So before a watch reaches the cache, the node is admitted:
// parsed (a malformed id ends the stream with INVALID_ARGUMENT, the one clean way
// the server library has to refuse a client), its resources built and its snapshot
// published, and the watch is then answered at once.
import type { SnapshotCache } from '../xds/cache/snapshot_cache.js';
import type {
  CancelWatch,
  ConfigWatcher,
  DeltaResponse,
  DeltaWatchRequest,
  Node,
  SotwResponse,
  SotwWatchRequest,
} from '../xds/cache/types.js';

/**
 * Makes sure the node has a snapshot (when there is config to build one from).
 * Throws BadRequestError for a node the control plane cannot serve.
 */
export type AdmitNode = (node: Node) => void;

export class ProxyWatcher implements ConfigWatcher {
  /**
   * Node objects already admitted. A stream keeps the node of its first request and
   * passes that same object with every watch, so this is "once per stream", and
   * an ACK (which opens a new watch) costs a WeakSet lookup.
   */
  private readonly admitted = new WeakSet<Node>();

  constructor(
    private readonly cache: SnapshotCache,
    private readonly admit: AdmitNode,
  ) {}

  createWatch(node: Node, request: SotwWatchRequest, respond: (response: SotwResponse) => void): CancelWatch {
    this.ensure(node);
    return this.cache.createWatch(node, request, respond);
  }

  createDeltaWatch(node: Node, request: DeltaWatchRequest, respond: (response: DeltaResponse) => void): CancelWatch {
    this.ensure(node);
    return this.cache.createDeltaWatch(node, request, respond);
  }

  fetch(node: Node, request: SotwWatchRequest): SotwResponse | undefined {
    this.ensure(node);
    return this.cache.fetch(node, request);
  }

  private ensure(node: Node): void {
    if (this.admitted.has(node)) return;
    this.admit(node);
    this.admitted.add(node);
  }
}
