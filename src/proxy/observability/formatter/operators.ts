// Envoy's command operators (%NAME(arg)%), each compiled once into a getter on the
// FormatContext. A getter returns undefined when the value is absent (Envoy's "-" in
// text, null in typed JSON), a number for counts and durations (so typed JSON emits a
// number), a string, or a JSON value (metadata, filter state).
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { StreamInfo } from '../../http/stream_info.js';
import { RESPONSE_FLAGS, type ResponseFlag } from '../../http/stream_info.js';
import type { HeaderMap } from '../../http/header_map.js';
import { grpcStatusOf, grpcStatusText, isGrpcRequest, type GrpcStatusStyle } from './grpc_status.js';
import { compileTimeFormat } from './strftime.js';
import type { FormatContext } from './types.js';

export type ValueGetter = (ctx: FormatContext) => unknown;
type Fail = (why: string) => never;
type Factory = (arg: string | undefined, fail: Fail) => ValueGetter;

/**
 * StreamInfo facts the formatter can render but StreamInfo does not carry yet; read
 * structurally so they light up as soon as StreamInfo gains them under these names.
 */
interface PendingStreamInfoFields {
  upstreamProtocol?: string;
  lastUpstreamTxByteSent?: number;
}
const pending = (si: StreamInfo) => si as StreamInfo & PendingStreamInfoFields;

const OPERATORS = new Map<string, Factory>();

function define(names: string[], get: ValueGetter): void {
  const factory: Factory = (arg, fail) => {
    if (arg !== undefined) fail('takes no parameters');
    return get;
  };
  for (const n of names) OPERATORS.set(n, factory);
}

function defineWithArg(names: string[], factory: Factory): void {
  for (const n of names) OPERATORS.set(n, factory);
}

const nonEmpty = (s: string | undefined) => (s ? s : undefined);
const ms = (v: number | undefined) => (v === undefined ? undefined : Math.max(0, Math.floor(v)));

/** "1.2.3.4:80" → "1.2.3.4", "[::1]:80" → "::1"; non-IP addresses come back whole. */
export function addressWithoutPort(addr: string | undefined): string | undefined {
  if (!addr) return undefined;
  if (addr.startsWith('[')) {
    const end = addr.indexOf(']');
    return end > 0 ? addr.slice(1, end) : addr;
  }
  const colon = addr.lastIndexOf(':');
  return colon > 0 && addr.indexOf(':') === colon ? addr.slice(0, colon) : addr;
}

export function portOf(addr: string | undefined): number | undefined {
  if (!addr) return undefined;
  const m = /\]?:(\d+)$/.exec(addr);
  if (!m || (!addr.startsWith('[') && addr.indexOf(':') !== addr.lastIndexOf(':'))) return undefined;
  return Number(m[1]);
}

function defineAddress(base: string, get: (ctx: FormatContext) => string | undefined): void {
  define([base], (ctx) => nonEmpty(get(ctx)));
  define([`${base}_WITHOUT_PORT`], (ctx) => addressWithoutPort(get(ctx)));
  define([base.replace(/_ADDRESS$/, '_PORT')], (ctx) => portOf(get(ctx)));
}

/** Flags in Envoy's fixed order (not the order they were set), as Envoy prints them. */
const FLAG_ORDER = Object.keys(RESPONSE_FLAGS) as ResponseFlag[];
function responseFlags(si: StreamInfo, long: boolean): string {
  const set = si.responseFlags();
  if (set.length === 0) return '-';
  const names: string[] = [];
  for (const f of FLAG_ORDER) if (set.includes(f)) names.push(long ? f : RESPONSE_FLAGS[f]);
  return names.join(',');
}

function headerOperator(pick: (ctx: FormatContext) => HeaderMap | undefined): Factory {
  return (arg, fail) => {
    if (!arg) return fail('needs a header name, e.g. %REQ(user-agent)%');
    const names = arg.split('?').map((s) => s.trim().toLowerCase());
    if (names.length > 2) fail('allows one alternative header at most (X?Y)');
    if (names.some((n) => n === '')) fail('has an empty header name');
    const [main, alt] = names as [string, string | undefined];
    return (ctx) => {
      const h = pick(ctx);
      if (!h) return undefined;
      const v = h.get(main);
      return v !== undefined || alt === undefined ? v : h.get(alt);
    };
  };
}

/** Walks dynamic metadata `ns:key:nested`; Envoy's %DYNAMIC_METADATA(...)% path syntax. */
function metadataOperator(arg: string | undefined, fail: Fail): ValueGetter {
  if (!arg) return fail('needs a metadata namespace, e.g. %DYNAMIC_METADATA(envoy.lb:canary)%');
  // Header values may still use the older ["ns", "key"] form.
  const parts = arg.startsWith('[') ? parseLegacyPath(arg, fail) : arg.split(':');
  const [ns, ...keys] = parts as [string, ...string[]];
  return (ctx) => {
    let v: unknown = ctx.streamInfo.dynamicMetadata[ns];
    for (const k of keys) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
      v = (v as Record<string, unknown>)[k];
    }
    return v ?? undefined;
  };
}

function parseLegacyPath(arg: string, fail: Fail): string[] {
  try {
    const list: unknown = JSON.parse(arg);
    if (Array.isArray(list) && list.length > 0 && list.every((s) => typeof s === 'string')) return list as string[];
  } catch {
    // fall through to the error below
  }
  return fail('expects NAMESPACE:KEY or a JSON list of strings');
}

function filterStateOperator(arg: string | undefined, fail: Fail): ValueGetter {
  if (!arg) return fail('needs a filter state key');
  const sep = arg.lastIndexOf(':');
  const mode = sep > 0 ? arg.slice(sep + 1) : '';
  const plain = mode === 'PLAIN';
  if (mode && mode !== 'PLAIN' && mode !== 'TYPED') fail(`has serialization "${mode}"; expected PLAIN or TYPED`);
  const key = mode ? arg.slice(0, sep) : arg;
  return (ctx) => {
    const v = ctx.streamInfo.filterState.get(key);
    if (v === undefined || v === null) return undefined;
    if (plain) return typeof v === 'object' ? JSON.stringify(v) : String(v);
    // TYPED renders the JSON form: a string object shows with its quotes in text logs.
    return typeof v === 'string' ? JSON.stringify(v) : v;
  };
}

function traceId(ctx: FormatContext): string | undefined {
  const h = ctx.requestHeaders;
  if (!h) return undefined;
  const b3 = h.get('x-b3-traceid');
  if (b3) return b3;
  const tp = h.get('traceparent')?.split('-');
  return tp && tp.length >= 4 ? nonEmpty(tp[1]) : undefined;
}

const si = (ctx: FormatContext) => ctx.streamInfo;

define(['RESPONSE_CODE'], (ctx) => si(ctx).responseCode ?? 0);
define(['RESPONSE_CODE_DETAILS'], (ctx) => nonEmpty(si(ctx).responseCodeDetails));
define(['CONNECTION_TERMINATION_DETAILS'], (ctx) => nonEmpty(si(ctx).connectionTerminationDetails));
define(['RESPONSE_FLAGS'], (ctx) => responseFlags(si(ctx), false));
define(['RESPONSE_FLAGS_LONG'], (ctx) => responseFlags(si(ctx), true));
define(['BYTES_RECEIVED'], (ctx) => si(ctx).bytesReceived);
define(['BYTES_SENT'], (ctx) => si(ctx).bytesSent);
define(['UPSTREAM_WIRE_BYTES_SENT'], (ctx) => si(ctx).upstreamBytesSent);
define(['UPSTREAM_WIRE_BYTES_RECEIVED'], (ctx) => si(ctx).upstreamBytesReceived);
define(['REQUEST_HEADERS_BYTES'], (ctx) => ctx.requestHeaders?.byteSize() ?? 0);
define(['RESPONSE_HEADERS_BYTES'], (ctx) => ctx.responseHeaders?.byteSize() ?? 0);
define(['RESPONSE_TRAILERS_BYTES'], (ctx) => ctx.responseTrailers?.byteSize() ?? 0);
define(['UPSTREAM_REQUEST_ATTEMPT_COUNT'], (ctx) => si(ctx).attemptCount);

define(['DURATION'], (ctx) => ms(si(ctx).durationMs() ?? si(ctx).lastDownstreamTxByteSent));
define(['REQUEST_DURATION'], (ctx) => ms(si(ctx).lastDownstreamRxByteReceived));
define(['RESPONSE_DURATION'], (ctx) => ms(si(ctx).firstUpstreamRxByteReceived));
define(['RESPONSE_TX_DURATION'], (ctx) => {
  const { firstUpstreamRxByteReceived: first, lastDownstreamTxByteSent: last } = si(ctx);
  return first === undefined || last === undefined ? undefined : ms(last - first);
});
define(['REQUEST_TX_DURATION'], (ctx) => {
  const info = pending(si(ctx));
  if (info.lastUpstreamTxByteSent !== undefined) return ms(info.lastUpstreamTxByteSent);
  // Until StreamInfo records it: the body streams through, so the last byte goes
  // upstream once the upstream request has started and the downstream body has ended.
  if (info.firstUpstreamTxByteSent === undefined) return undefined;
  return ms(Math.max(info.firstUpstreamTxByteSent, info.lastDownstreamRxByteReceived ?? 0));
});

define(['PROTOCOL'], (ctx) => nonEmpty(si(ctx).protocol));
define(['UPSTREAM_PROTOCOL'], (ctx) => nonEmpty(pending(si(ctx)).upstreamProtocol));
define(['UPSTREAM_HOST'], (ctx) => nonEmpty(si(ctx).upstreamHost?.address));
define(['UPSTREAM_HOST_NAME'], (ctx) => nonEmpty(si(ctx).upstreamHost?.hostname) ?? nonEmpty(si(ctx).upstreamHost?.address));
define(['UPSTREAM_CLUSTER', 'UPSTREAM_CLUSTER_RAW'], (ctx) => nonEmpty(si(ctx).upstreamCluster));
define(['UPSTREAM_TRANSPORT_FAILURE_REASON'], (ctx) => nonEmpty(si(ctx).upstreamTransportFailureReason));
defineAddress('UPSTREAM_REMOTE_ADDRESS', (ctx) => si(ctx).upstreamHost?.address);
defineAddress('UPSTREAM_LOCAL_ADDRESS', (ctx) => si(ctx).upstreamLocalAddress);
// Upstream TLS facts are not tracked yet: always absent.
define(['UPSTREAM_PEER_URI_SAN', 'UPSTREAM_PEER_SUBJECT', 'UPSTREAM_TLS_VERSION', 'UPSTREAM_TLS_CIPHER'], () => undefined);

defineAddress('DOWNSTREAM_REMOTE_ADDRESS', (ctx) => si(ctx).downstreamRemoteAddress);
defineAddress('DOWNSTREAM_DIRECT_REMOTE_ADDRESS', (ctx) => si(ctx).downstreamDirectRemoteAddress);
defineAddress('DOWNSTREAM_LOCAL_ADDRESS', (ctx) => si(ctx).downstreamLocalAddress);
define(['CONNECTION_ID'], (ctx) => ctx.connection?.id);
define(['REQUESTED_SERVER_NAME'], (ctx) => nonEmpty(ctx.connection?.tls?.sni));
const joinList = (l: string[] | undefined) => (l && l.length ? l.join(',') : undefined);
define(['DOWNSTREAM_PEER_URI_SAN'], (ctx) => joinList(ctx.connection?.tls?.peerUriSans));
define(['DOWNSTREAM_PEER_DNS_SAN'], (ctx) => joinList(ctx.connection?.tls?.peerDnsSans));
define(['DOWNSTREAM_LOCAL_URI_SAN'], (ctx) => joinList(ctx.connection?.tls?.localUriSans));
define(['DOWNSTREAM_PEER_SUBJECT'], (ctx) => nonEmpty(ctx.connection?.tls?.peerSubject));
define(['DOWNSTREAM_TLS_VERSION'], (ctx) => nonEmpty(ctx.connection?.tls?.version));
define(['DOWNSTREAM_TLS_CIPHER'], (ctx) => nonEmpty(ctx.connection?.tls?.cipher));

define(['ROUTE_NAME'], (ctx) => nonEmpty(si(ctx).routeName));
define(['VIRTUAL_CLUSTER_NAME'], (ctx) => nonEmpty(si(ctx).virtualClusterName));
const hostname = os.hostname();
define(['HOSTNAME'], () => hostname);
define(['LOCAL_REPLY_BODY'], (ctx) => ctx.localReplyBody);
define(['TRACE_ID'], traceId);
define(['UNIQUE_ID'], () => randomUUID());
define(['GRPC_STATUS_NUMBER'], (ctx) => (isGrpcRequest(ctx) ? grpcStatusOf(ctx) : undefined));

defineWithArg(['START_TIME'], (arg) => {
  const render = compileTimeFormat(arg);
  return (ctx) => render(ctx.streamInfo.startTime);
});
defineWithArg(['REQ', 'REQUEST_HEADER'], headerOperator((ctx) => ctx.requestHeaders));
defineWithArg(['RESP', 'RESPONSE_HEADER'], headerOperator((ctx) => ctx.responseHeaders));
defineWithArg(['TRAILER', 'RESPONSE_TRAILER'], headerOperator((ctx) => ctx.responseTrailers));
defineWithArg(['REQ_WITHOUT_QUERY'], (arg, fail) => {
  const get = headerOperator((ctx) => ctx.requestHeaders)(arg, fail);
  return (ctx) => {
    const v = get(ctx) as string | undefined;
    const q = v?.indexOf('?') ?? -1;
    return q >= 0 ? v!.slice(0, q) : v;
  };
});
defineWithArg(['DYNAMIC_METADATA'], metadataOperator);
defineWithArg(['METADATA'], (arg, fail) => {
  if (!arg?.startsWith('DYNAMIC:')) return fail('supports only DYNAMIC metadata, e.g. %METADATA(DYNAMIC:ns:key)%');
  return metadataOperator(arg.slice('DYNAMIC:'.length), fail);
});
defineWithArg(['FILTER_STATE'], filterStateOperator);
defineWithArg(['ENVIRONMENT'], (arg, fail) => {
  if (!arg) return fail('needs an environment variable name');
  // Read once at config time, as Envoy does.
  const value = process.env[arg];
  return () => nonEmpty(value);
});
defineWithArg(['GRPC_STATUS'], (arg, fail) => {
  const style = (arg || 'CAMEL_STRING') as GrpcStatusStyle;
  if (!['CAMEL_STRING', 'SNAKE_STRING', 'NUMBER'].includes(style)) fail('expects CAMEL_STRING, SNAKE_STRING or NUMBER');
  return (ctx) => {
    if (!isGrpcRequest(ctx)) return undefined;
    const code = grpcStatusOf(ctx);
    return code === undefined ? undefined : grpcStatusText(code, style);
  };
});

/** Compiles one operator; `fail` throws with a message naming the operator. */
export function compileOperator(name: string, arg: string | undefined, fail: Fail): ValueGetter | undefined {
  return OPERATORS.get(name)?.(arg, fail);
}

export function knownOperators(): string[] {
  return [...OPERATORS.keys()].sort();
}
