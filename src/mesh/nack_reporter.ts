// Proxies rejecting their config (a NACK: a listener that cannot bind, a bad route)
// only show up in the proxy's own log and the discovery server's; the terminal of
// `mesh up` gets one line per new rejection so such problems are not missed.

interface StatusEntry {
  proxy?: string;
  nodeId: string;
  types: Record<string, { lastNack?: { message: string; nonce: string } }>;
}

export class NackReporter {
  private readonly seen = new Set<string>();

  constructor(
    private readonly status: () => readonly StatusEntry[],
    private readonly line: (message: string) => void,
  ) {}

  /** Reports NACKs not reported before. */
  check(): void {
    for (const entry of this.status()) {
      for (const [type, t] of Object.entries(entry.types)) {
        const nack = t.lastNack;
        if (!nack) continue;
        const key = `${entry.nodeId}|${type}|${nack.nonce}`;
        if (this.seen.has(key)) continue;
        this.seen.add(key);
        this.line(`proxy ${entry.proxy || entry.nodeId} rejected its ${type} config: ${nack.message}`);
      }
    }
  }
}
