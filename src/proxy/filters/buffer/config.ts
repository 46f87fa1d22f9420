// envoy.filters.http.buffer: holds the whole request before passing it on, so the
// upstream never sees a slow client; bodies over max_request_bytes get 413.
import type { envoy } from '../../../api/envoy-types.generated.js';
import { unwrap } from '../../../api/json/wkt.js';
import { FilterDataStatus, FilterHeadersStatus, type DecoderFilterCallbacks, type StreamDecoderFilter } from '../../http/filter.js';
import type { HeaderMap } from '../../http/header_map.js';
import { httpFilterRegistry } from '../../http/http_filter_registry.js';

type BufferProto = envoy.extensions.filters.http.buffer.v3.Buffer;
type BufferPerRoute = envoy.extensions.filters.http.buffer.v3.BufferPerRoute;

const NAME = 'envoy.filters.http.buffer';

class BufferFilter implements StreamDecoderFilter {
  private cb!: DecoderFilterCallbacks;
  private headers?: HeaderMap;
  private active = true;

  constructor(private readonly maxBytes: number) {}

  setDecoderFilterCallbacks(callbacks: DecoderFilterCallbacks): void {
    this.cb = callbacks;
  }

  decodeHeaders(headers: HeaderMap, endStream: boolean): FilterHeadersStatus {
    const perRoute = this.cb.perFilterConfig<BufferPerRoute>(NAME);
    if (perRoute?.disabled) this.active = false;
    const limit = perRoute?.buffer ? unwrap(perRoute.buffer.max_request_bytes, this.maxBytes) : this.maxBytes;
    if (!this.active || endStream) return FilterHeadersStatus.Continue;
    this.headers = headers;
    this.cb.setDecoderBufferLimit(limit);
    return FilterHeadersStatus.StopIteration;
  }

  decodeData(_data: Buffer, endStream: boolean): FilterDataStatus {
    if (!this.active) return FilterDataStatus.Continue;
    if (!endStream) return FilterDataStatus.StopIterationAndBuffer;
    // Like Envoy, a fully buffered request goes upstream with its length known.
    if (this.headers && !this.headers.has('content-length')) {
      const size = (this.cb.decodingBuffer()?.length ?? 0) + _data.length;
      this.headers.set('content-length', String(size));
      this.headers.remove('transfer-encoding');
    }
    return FilterDataStatus.Continue;
  }
}

httpFilterRegistry.register({
  names: [NAME, 'envoy.buffer'],
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer'],
  createFilterFactory(raw) {
    const maxBytes = unwrap((raw as BufferProto).max_request_bytes, 1024 * 1024);
    return () => ({ decoder: new BufferFilter(maxBytes) });
  },
});
