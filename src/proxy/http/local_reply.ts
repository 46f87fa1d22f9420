// Local replies: responses the proxy makes itself ("no healthy upstream", 404 for no
// route, timeouts...). Envoy sends them as text/plain with a content-length, and as
// trailers-only responses with grpc-status for gRPC requests.
import { HeaderMap } from './header_map.js';

/** HTTP status → gRPC status, as Envoy maps them for local replies (Utility::httpToGrpcStatus). */
export function httpToGrpcStatus(status: number): number {
  switch (status) {
    case 400: return 13; // INTERNAL
    case 401: return 16; // UNAUTHENTICATED
    case 403: return 7; // PERMISSION_DENIED
    case 404: return 12; // UNIMPLEMENTED
    case 429: return 14; // UNAVAILABLE
    case 502: return 14;
    case 503: return 14;
    case 504: return 14;
    default: return 2; // UNKNOWN
  }
}

export function isGrpcRequest(headers: HeaderMap | undefined): boolean {
  const ct = headers?.get('content-type');
  return ct !== undefined && ct.startsWith('application/grpc');
}

export interface LocalReply {
  headers: HeaderMap;
  body: Buffer;
}

export class LocalReplySender {
  constructor(private readonly _config: unknown) {}

  /**
   * Builds the reply. For gRPC requests the body moves into grpc-message and the
   * status into grpc-status, with HTTP 200 (a trailers-only response).
   */
  build(status: number, body: string, requestHeaders: HeaderMap | undefined, grpcStatus?: number): LocalReply {
    const headers = new HeaderMap();
    if (isGrpcRequest(requestHeaders)) {
      headers.add(':status', '200');
      headers.add('content-type', 'application/grpc');
      headers.add('grpc-status', String(grpcStatus ?? httpToGrpcStatus(status)));
      if (body) headers.add('grpc-message', encodeURIComponent(body).replace(/%20/g, ' '));
      return { headers, body: Buffer.alloc(0) };
    }
    headers.add(':status', String(status));
    const bytes = Buffer.from(body, 'utf8');
    if (bytes.length) {
      headers.add('content-length', String(bytes.length));
      headers.add('content-type', 'text/plain');
    } else if (status !== 204 && status !== 304 && status >= 200) {
      headers.add('content-length', '0');
    }
    return { headers, body: bytes };
  }
}
