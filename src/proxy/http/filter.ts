// Envoy's HTTP filter contract (DESIGN.md §4.3). Decoder filters see the request in
// config order, encoder filters see the response in reverse; each callback returns a
// status telling the filter manager whether to go on. The router is the last decoder.
import type { HeaderMap } from './header_map.js';
import type { StreamInfo, ResponseFlag } from './stream_info.js';
import type { Route } from './route/route_entry.js';
import type { ConnectionInfo } from './connection_info.js';

export enum FilterHeadersStatus {
  Continue = 0,
  /** Stop here; the filter calls continueDecoding()/continueEncoding() later. */
  StopIteration = 1,
  /** Stop and buffer the whole body before going on (e.g. to inspect it). */
  StopAllIterationAndBuffer = 2,
}

export enum FilterDataStatus {
  Continue = 0,
  /** Keep this chunk (and later ones) buffered until the filter continues. */
  StopIterationAndBuffer = 1,
  /** Drop out of iteration without buffering; the filter owns the data. */
  StopIterationNoBuffer = 2,
}

export enum FilterTrailersStatus {
  Continue = 0,
  StopIteration = 1,
}

export interface LocalReplyOptions {
  /** Envoy's response_code_details, e.g. "route_not_found". */
  details: string;
  flag?: ResponseFlag;
  /** Extra response headers (e.g. `x-rate-limited`). */
  headers?: Array<[string, string]>;
  /** gRPC status to use when the request is gRPC (trailers-only reply). */
  grpcStatus?: number;
  modifyHeaders?: (headers: HeaderMap) => void;
}

interface StreamFilterCallbacksBase {
  readonly streamInfo: StreamInfo;
  /** "[C3][S17]": prefix for this stream's log lines, as Envoy tags them. */
  readonly logTag: string;
  readonly connection: ConnectionInfo;
  /** The route chosen for this request (cached; see clearRouteCache). */
  route(): Route | null;
  clearRouteCache(): void;
  /**
   * The most specific `typed_per_filter_config` for `filterName` (route, else virtual host,
   * else route configuration), as its filter's routeSpecificConfig compiled it.
   */
  perFilterConfig<T>(filterName: string): T | undefined;
  /** Every level's per-filter config, most specific first (for filters that merge levels). */
  perFilterConfigs<T>(filterName: string): T[];
  sendLocalReply(status: number, body: string, options: LocalReplyOptions): void;
  resetStream(): void;
  /** Request headers (read-only use in encoder filters). */
  requestHeaders(): HeaderMap | undefined;
}

export interface DecoderFilterCallbacks extends StreamFilterCallbacksBase {
  continueDecoding(): void;
  /** Data buffered for this filter while it returned StopIterationAndBuffer. */
  decodingBuffer(): Buffer | undefined;
  /** Most request bytes a stopped filter may buffer before the client gets 413. */
  setDecoderBufferLimit(bytes: number): void;
  /** Replace or add to the buffered body (e.g. a filter rewriting it). */
  addDecodedData(data: Buffer): void;
  /** Response path, used by terminal filters (the router) and direct replies. */
  encodeHeaders(headers: HeaderMap, endStream: boolean, details: string): void;
  encodeData(data: Buffer, endStream: boolean): void;
  encodeTrailers(trailers: HeaderMap): void;
  /** Flow control: the downstream cannot take more response data now; resume later. */
  onDownstreamWritable(fn: () => void): boolean;
  /** Ask the codec to stop / restart reading the request body. */
  pauseRequestBody(): void;
  resumeRequestBody(): void;
  /** The Upgrade type of an HTTP/1.1 upgrade request ("websocket"), else undefined. */
  readonly upgradeType?: string;
  /** Whether the connection manager's upgrade_configs enable this upgrade type. */
  upgradeEnabledByDefault(type: string): boolean;
  /** The upstream answered 101: tunnel the two connections. */
  acceptUpgrade(headers: HeaderMap, upstream: import('node:stream').Duplex): void;
  /** From an untrusted (external) client: x-envoy-* request headers were stripped. */
  readonly edgeRequest: boolean;
  readonly internalRequest: boolean;
}

export interface EncoderFilterCallbacks extends StreamFilterCallbacksBase {
  continueEncoding(): void;
  encodingBuffer(): Buffer | undefined;
  setEncoderBufferLimit(bytes: number): void;
  addEncodedData(data: Buffer): void;
}

export interface StreamDecoderFilter {
  setDecoderFilterCallbacks?(callbacks: DecoderFilterCallbacks): void;
  decodeHeaders(headers: HeaderMap, endStream: boolean): FilterHeadersStatus;
  decodeData?(data: Buffer, endStream: boolean): FilterDataStatus;
  decodeTrailers?(trailers: HeaderMap): FilterTrailersStatus;
  /** Called when the stream ends, normally or not; release timers and sockets here. */
  onDestroy?(): void;
}

export interface StreamEncoderFilter {
  setEncoderFilterCallbacks?(callbacks: EncoderFilterCallbacks): void;
  encodeHeaders(headers: HeaderMap, endStream: boolean): FilterHeadersStatus;
  encodeData?(data: Buffer, endStream: boolean): FilterDataStatus;
  encodeTrailers?(trailers: HeaderMap): FilterTrailersStatus;
  onDestroy?(): void;
}

export type StreamFilter = Partial<StreamDecoderFilter> & Partial<StreamEncoderFilter>;

/** What a filter factory returns per request: a decoder, an encoder, or both. */
export interface FilterInstance {
  decoder?: StreamDecoderFilter;
  encoder?: StreamEncoderFilter;
}
