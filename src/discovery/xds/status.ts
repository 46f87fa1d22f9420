// Per-stream sync status, the data behind `skein proxy-status` (istioctl's columns:
// one state per xDS type) and the debug endpoint. Every stream records what it sent,
// what the proxy ACKed and what it NACKed; classification is derived on read so the
// hot path only stores a few strings.
import { isXdsTypeUrl, SHORT_NAME, ADS_PUSH_ORDER } from '../../api/xds/resource_types.js';
import type { Node } from './cache/types.js';

/** istioctl's per-type states. */
export type SyncState = 'SYNCED' | 'NOT SENT' | 'STALE';

export type XdsProtocol = 'sotw' | 'delta';
/** 'ads', or the per-type service the stream was opened on. */
export type XdsService = 'ads' | 'lds' | 'rds' | 'cds' | 'eds' | 'sds';

interface Stamp {
  version: string;
  nonce: string;
  /** Epoch milliseconds. */
  at: number;
}

export interface TypeSyncRecord {
  sent?: Stamp & { resources: number };
  acked?: Stamp;
  nacked?: Stamp & { message: string };
}

export interface TypeStatusEntry {
  state: SyncState;
  sentVersion?: string;
  sentNonce?: string;
  sentAt?: string;
  sentResources?: number;
  ackedVersion?: string;
  ackedNonce?: string;
  ackedAt?: string;
  /** The last NACK on this stream, whether or not it concerns the latest response. */
  lastNack?: { message: string; version: string; nonce: string; at: string };
}

export interface ProxyStatusEntry {
  streamId: number;
  nodeId: string;
  nodeCluster: string;
  nodeMetadata: Record<string, unknown>;
  connectedSince: string;
  protocol: XdsProtocol;
  service: XdsService;
  /** By short name (CDS, EDS, LDS, RDS, SDS), in ADS push order. */
  types: Record<string, TypeStatusEntry>;
}

/**
 * SYNCED when the proxy ACKed the latest response of the type, NOT SENT when none
 * was sent, STALE otherwise: still waiting for the ACK, or NACKed (the NACK's message
 * is reported next to the state, as istioctl shows it).
 */
export function classify(record: TypeSyncRecord | undefined): SyncState {
  if (!record?.sent) return 'NOT SENT';
  return record.acked?.nonce === record.sent.nonce ? 'SYNCED' : 'STALE';
}

const iso = (ms: number) => new Date(ms).toISOString();

export class StreamStatus {
  node: Node | undefined;
  readonly connectedAt = Date.now();
  private readonly records = new Map<string, TypeSyncRecord>();

  constructor(
    readonly streamId: number,
    readonly protocol: XdsProtocol,
    readonly service: XdsService,
  ) {}

  record(typeUrl: string): TypeSyncRecord | undefined {
    return this.records.get(typeUrl);
  }

  private entry(typeUrl: string): TypeSyncRecord {
    let r = this.records.get(typeUrl);
    if (!r) this.records.set(typeUrl, (r = {}));
    return r;
  }

  sent(typeUrl: string, version: string, nonce: string, resources: number): void {
    this.entry(typeUrl).sent = { version, nonce, resources, at: Date.now() };
  }

  acked(typeUrl: string, version: string, nonce: string): void {
    this.entry(typeUrl).acked = { version, nonce, at: Date.now() };
  }

  nacked(typeUrl: string, version: string, nonce: string, message: string): void {
    this.entry(typeUrl).nacked = { version, nonce, message, at: Date.now() };
  }

  state(typeUrl: string): SyncState {
    return classify(this.records.get(typeUrl));
  }

  toJSON(): ProxyStatusEntry {
    const node = this.node ?? {};
    const types: Record<string, TypeStatusEntry> = {};
    const urls = [...ADS_PUSH_ORDER, ...[...this.records.keys()].filter((u) => !isXdsTypeUrl(u))];
    for (const url of urls) {
      const r = this.records.get(url);
      if (!r && this.service !== 'ads' && !isServiceType(this.service, url)) continue;
      const e: TypeStatusEntry = { state: classify(r) };
      if (r?.sent) Object.assign(e, { sentVersion: r.sent.version, sentNonce: r.sent.nonce, sentAt: iso(r.sent.at), sentResources: r.sent.resources });
      if (r?.acked) Object.assign(e, { ackedVersion: r.acked.version, ackedNonce: r.acked.nonce, ackedAt: iso(r.acked.at) });
      if (r?.nacked) e.lastNack = { message: r.nacked.message, version: r.nacked.version, nonce: r.nacked.nonce, at: iso(r.nacked.at) };
      types[isXdsTypeUrl(url) ? SHORT_NAME[url] : url] = e;
    }
    return {
      streamId: this.streamId,
      nodeId: node.id ?? '',
      nodeCluster: node.cluster ?? '',
      nodeMetadata: (node.metadata as Record<string, unknown> | undefined) ?? {},
      connectedSince: iso(this.connectedAt),
      protocol: this.protocol,
      service: this.service,
      types,
    };
  }
}

function isServiceType(service: XdsService, typeUrl: string): boolean {
  return isXdsTypeUrl(typeUrl) && SHORT_NAME[typeUrl].toLowerCase() === service;
}
