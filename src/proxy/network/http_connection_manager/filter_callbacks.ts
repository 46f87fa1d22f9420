// The callbacks each HTTP filter gets: small objects bound to (stream, filter index)
// that forward to the ActiveStream, so filters never see the stream itself.
import type { DecoderFilterCallbacks, EncoderFilterCallbacks, LocalReplyOptions } from '../../http/filter.js';
import type { HeaderMap } from '../../http/header_map.js';
import type { Route } from '../../http/route/route_entry.js';
import type { ActiveStream } from './active_stream.js';

abstract class CommonCallbacks {
  constructor(
    protected readonly stream: ActiveStream,
    protected readonly index: number,
  ) {}
  get streamInfo() {
    return this.stream.streamInfo;
  }
  get logTag(): string {
    return this.stream.logTag;
  }
  get connection() {
    return this.stream.connection;
  }
  route(): Route | null {
    return this.stream.route();
  }
  clearRouteCache(): void {
    this.stream.clearRouteCache();
  }
  perFilterConfig<T>(filterName: string): T | undefined {
    return this.stream.route()?.perFilterConfig(filterName) as T | undefined;
  }
  perFilterConfigs<T>(filterName: string): T[] {
    return (this.stream.route()?.perFilterConfigs(filterName) ?? []) as T[];
  }
  sendLocalReply(status: number, body: string, options: LocalReplyOptions): void {
    this.stream.sendLocalReply(status, body, options);
  }
  resetStream(): void {
    this.stream.resetStream('filter_reset');
  }
  requestHeaders(): HeaderMap | undefined {
    return this.stream.requestHeaders;
  }
}

export class DecoderCallbacks extends CommonCallbacks implements DecoderFilterCallbacks {
  continueDecoding(): void {
    this.stream.continueDecoding(this.index);
  }
  decodingBuffer(): Buffer | undefined {
    return this.stream.decodingBuffer(this.index);
  }
  setDecoderBufferLimit(bytes: number): void {
    this.stream.setDecoderBufferLimit(bytes);
  }
  addDecodedData(data: Buffer): void {
    const existing = this.stream.decodingBuffer(this.index);
    this.stream.replaceDecodingBuffer(this.index, existing ? Buffer.concat([existing, data]) : data);
  }
  encodeHeaders(headers: HeaderMap, endStream: boolean, details: string): void {
    this.stream.encodeHeaders(headers, endStream, details);
  }
  encodeData(data: Buffer, endStream: boolean): void {
    this.stream.encodeData(data, endStream);
  }
  encodeTrailers(trailers: HeaderMap): void {
    this.stream.encodeTrailers(trailers);
  }
  onDownstreamWritable(fn: () => void): boolean {
    return this.stream.onDownstreamWritable(fn);
  }
  pauseRequestBody(): void {
    this.stream.codecStream.pauseReading();
  }
  resumeRequestBody(): void {
    this.stream.codecStream.resumeReading();
  }
  get edgeRequest(): boolean {
    return this.stream.edgeRequest;
  }
  get upgradeType(): string | undefined {
    return this.stream.upgradeType;
  }
  upgradeEnabledByDefault(type: string): boolean {
    return this.stream.config.upgradeTypes.has(type);
  }
  acceptUpgrade(headers: HeaderMap, upstream: import('node:stream').Duplex): void {
    this.stream.acceptUpgrade(headers, upstream);
  }
  get internalRequest(): boolean {
    return this.stream.internalRequest;
  }
  setIdleTimeout(ms: number): void {
    this.stream.setIdleTimeout(ms);
  }
}

export class EncoderCallbacks extends CommonCallbacks implements EncoderFilterCallbacks {
  continueEncoding(): void {
    this.stream.continueEncoding(this.index);
  }
  encodingBuffer(): Buffer | undefined {
    return this.stream.encodingBuffer(this.index);
  }
  setEncoderBufferLimit(bytes: number): void {
    this.stream.setEncoderBufferLimit(bytes);
  }
  addEncodedData(data: Buffer): void {
    const existing = this.stream.encodingBuffer(this.index);
    this.stream.replaceEncodingBuffer(this.index, existing ? Buffer.concat([existing, data]) : data);
  }
}
