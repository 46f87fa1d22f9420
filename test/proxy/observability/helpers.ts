// Hand-built request facts for formatter and access log tests.
import { HeaderMap } from '../../../src/proxy/http/header_map.js';
import { StreamInfo } from '../../../src/proxy/http/stream_info.js';
import type { FormatContext } from '../../../src/proxy/observability/formatter/types.js';

export const START = Date.parse('2016-04-15T20:17:00.310Z');

/** The request from Envoy's documented default-format example. */
export function exampleContext(): FormatContext {
  const si = new StreamInfo('10.0.0.5:10000', '10.0.35.28:51234');
  (si as { startTime: number }).startTime = START;
  si.protocol = 'HTTP/2';
  si.responseCode = 204;
  si.bytesReceived = 154;
  si.bytesSent = 0;
  si.lastDownstreamRxByteReceived = 3.7;
  si.firstUpstreamRxByteReceived = 120.2;
  si.lastDownstreamTxByteSent = 225.9;
  si.endTime = 226.4;
  si.upstreamHost = { address: '10.0.2.1:80', hostname: 'locations-1' };
  si.upstreamCluster = 'locations';
  si.routeName = 'default';
  si.attemptCount = 1;
  const requestHeaders = HeaderMap.from([
    [':method', 'POST'],
    [':path', '/api/v1/locations'],
    [':authority', 'locations'],
    [':scheme', 'http'],
    ['x-forwarded-for', '10.0.35.28'],
    ['user-agent', 'nsq2http'],
    ['x-request-id', 'cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2'],
  ]);
  const responseHeaders = HeaderMap.from([
    [':status', '204'],
    ['x-envoy-upstream-service-time', '100'],
  ]);
  return { streamInfo: si, requestHeaders, responseHeaders };
}
