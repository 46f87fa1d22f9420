// Moves one direction of a stream (request or response) through an ordered list of
// filters with Envoy's iteration rules:
//  - headers StopIteration: later filters wait; body chunks still reach the stopped
//    filter, and a Continue on one of them releases the held headers first;
//  - headers StopAllIterationAndBuffer: nothing more reaches the stopped filter until
//    it continues; body is buffered meanwhile;
//  - data StopIterationAndBuffer: the filter keeps accumulating; Continue (or a
//    continue call) forwards everything buffered as one chunk;
//  - data StopIterationNoBuffer: the chunk is consumed by the filter;
//  - trailers StopIteration: held until continue.
// The sink after the last filter is the router (decode) or the codec (encode).
import { FilterDataStatus, FilterHeadersStatus, FilterTrailersStatus } from './filter.js';
import type { HeaderMap } from './header_map.js';

export interface IteratedFilter {
  onHeaders(headers: HeaderMap, endStream: boolean): FilterHeadersStatus;
  onData?(data: Buffer, endStream: boolean): FilterDataStatus;
  onTrailers?(trailers: HeaderMap): FilterTrailersStatus;
}

export interface IterationSink {
  headers(headers: HeaderMap, endStream: boolean): void;
  data(data: Buffer, endStream: boolean): void;
  trailers(trailers: HeaderMap): void;
}

type Event =
  | { kind: 'headers'; headers: HeaderMap; end: boolean }
  | { kind: 'data'; data: Buffer; end: boolean }
  | { kind: 'trailers'; trailers: HeaderMap };

interface Stage {
  /** Events waiting to be delivered to this filter. */
  input: Event[];
  /** Headers this filter stopped on (StopIteration), released on its next Continue. */
  heldHeaders?: Event;
  /** StopAllIterationAndBuffer: deliver nothing until continued. */
  stopAll: boolean;
  /** Body kept by this filter (StopIterationAndBuffer). */
  buffer: Buffer[];
  bufferEnd: boolean;
  bufferedBytes?: number;
  heldTrailers?: Event;
  headersPassed: boolean;
}

export class FilterIterator {
  private readonly stages: Stage[];
  private aborted = false;
  /** Bytes a stopped filter may hold before the stream fails (413 / 500, as in Envoy). */
  bufferLimit = 1024 * 1024;

  constructor(
    private readonly filters: IteratedFilter[],
    private readonly sink: IterationSink,
    private readonly onBufferOverflow: () => void = () => undefined,
  ) {
    this.stages = filters.map(() => ({ input: [], stopAll: false, buffer: [], bufferEnd: false, headersPassed: false }));
  }

  /** Stops all further delivery (local reply sent, stream reset). */
  abort(): void {
    this.aborted = true;
  }

  headers(headers: HeaderMap, end: boolean): void {
    this.push(0, { kind: 'headers', headers, end });
  }

  data(data: Buffer, end: boolean): void {
    this.push(0, { kind: 'data', data, end });
  }

  trailers(trailers: HeaderMap): void {
    this.push(0, { kind: 'trailers', trailers });
  }

  /** Data a stopped filter has buffered (Envoy's decodingBuffer()). */
  bufferedData(filterIndex: number): Buffer | undefined {
    const stage = this.stages[filterIndex];
    if (!stage || stage.buffer.length === 0) return undefined;
    if (stage.buffer.length > 1) stage.buffer = [Buffer.concat(stage.buffer)];
    return stage.buffer[0];
  }

  replaceBufferedData(filterIndex: number, data: Buffer): void {
    const stage = this.stages[filterIndex];
    if (stage) stage.buffer = [data];
  }

  /** `continueDecoding()` / `continueEncoding()` from filter `index`. */
  continueFrom(index: number): void {
    const stage = this.stages[index];
    if (!stage || this.aborted) return;
    stage.stopAll = false;
    const out: Event[] = [];
    if (stage.heldHeaders) {
      out.push(stage.heldHeaders);
      stage.heldHeaders = undefined;
      stage.headersPassed = true;
    }
    if (stage.buffer.length) {
      out.push({ kind: 'data', data: stage.buffer.length === 1 ? stage.buffer[0]! : Buffer.concat(stage.buffer), end: stage.bufferEnd });
      stage.buffer = [];
      stage.bufferedBytes = 0;
    } else if (stage.bufferEnd && out.length && out[0]!.kind === 'headers' && !(out[0] as { end: boolean }).end) {
      out.push({ kind: 'data', data: Buffer.alloc(0), end: true });
    }
    if (stage.heldTrailers) {
      out.push(stage.heldTrailers);
      stage.heldTrailers = undefined;
    }
    for (const e of out) this.forward(index, e);
    this.pump(index);
  }

  /** Keeps a chunk for a stopped filter; false (and the overflow callback) past the limit. */
  private keep(stage: Stage, data: Buffer): boolean {
    if (!data.length) return true;
    stage.buffer.push(data);
    stage.bufferedBytes = (stage.bufferedBytes ?? 0) + data.length;
    if (stage.bufferedBytes > this.bufferLimit) {
      this.aborted = true;
      this.onBufferOverflow();
      return false;
    }
    return true;
  }

  private push(index: number, event: Event): void {
    if (this.aborted) return;
    if (index >= this.filters.length) {
      this.deliverToSink(event);
      return;
    }
    this.stages[index]!.input.push(event);
    this.pump(index);
  }

  private forward(index: number, event: Event): void {
    this.push(index + 1, event);
  }

  private deliverToSink(event: Event): void {
    if (event.kind === 'headers') this.sink.headers(event.headers, event.end);
    else if (event.kind === 'data') this.sink.data(event.data, event.end);
    else this.sink.trailers(event.trailers);
  }

  private pump(index: number): void {
    const stage = this.stages[index]!;
    const filter = this.filters[index]!;
    while (stage.input.length && !this.aborted) {
      if (stage.stopAll) {
        // Keep body while stopped; hold trailers.
        const e = stage.input.shift()!;
        if (e.kind === 'data') {
          if (!this.keep(stage, e.data)) return;
          stage.bufferEnd ||= e.end;
        } else if (e.kind === 'trailers') stage.heldTrailers = e;
        continue;
      }
      const e = stage.input.shift()!;
      if (e.kind === 'headers') {
        const status = filter.onHeaders(e.headers, e.end);
        if (this.aborted) return;
        if (status === FilterHeadersStatus.Continue) {
          stage.headersPassed = true;
          this.forward(index, e);
        } else {
          stage.heldHeaders = e;
          if (status === FilterHeadersStatus.StopAllIterationAndBuffer) stage.stopAll = true;
        }
      } else if (e.kind === 'data') {
        this.deliverData(index, stage, filter, e);
      } else {
        if (stage.heldHeaders || stage.buffer.length) {
          // Trailers end the body: a filter still buffering sees them after the data.
          stage.heldTrailers = e;
          const status = filter.onTrailers ? filter.onTrailers(e.trailers) : FilterTrailersStatus.Continue;
          if (this.aborted) return;
          if (status === FilterTrailersStatus.Continue && !stage.heldHeaders) this.continueFrom(index);
          continue;
        }
        const status = filter.onTrailers ? filter.onTrailers(e.trailers) : FilterTrailersStatus.Continue;
        if (this.aborted) return;
        if (status === FilterTrailersStatus.Continue) this.forward(index, e);
        else stage.heldTrailers = e;
      }
    }
  }

  private deliverData(index: number, stage: Stage, filter: IteratedFilter, e: Extract<Event, { kind: 'data' }>): void {
    const status = filter.onData ? filter.onData(e.data, e.end) : FilterDataStatus.Continue;
    if (this.aborted) return;
    if (status === FilterDataStatus.Continue) {
      if (stage.heldHeaders) {
        this.forward(index, stage.heldHeaders);
        stage.heldHeaders = undefined;
        stage.headersPassed = true;
      }
      if (stage.buffer.length) {
        stage.buffer.push(e.data);
        const all = Buffer.concat(stage.buffer);
        stage.buffer = [];
        stage.bufferedBytes = 0;
        this.forward(index, { kind: 'data', data: all, end: e.end });
      } else this.forward(index, e);
      if (stage.heldTrailers && e.end === false) {
        const t = stage.heldTrailers;
        stage.heldTrailers = undefined;
        this.forward(index, t);
      }
    } else if (status === FilterDataStatus.StopIterationAndBuffer) {
      if (!this.keep(stage, e.data)) return;
      stage.bufferEnd ||= e.end;
    }
    // StopIterationNoBuffer: the filter consumed the chunk.
  }
}
