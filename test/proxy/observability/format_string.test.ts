import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HeaderMap } from '../../../src/proxy/http/header_map.js';
import { StreamInfo } from '../../../src/proxy/http/stream_info.js';
import { compileFormatString, ENVOY_DEFAULT_ACCESS_LOG_FORMAT } from '../../../src/proxy/observability/formatter/format_string.js';
import { exampleContext, START } from './helpers.js';

const render = (template: string, ctx = exampleContext(), opts = {}) => compileFormatString(template, opts).format(ctx);

test('default format renders the documented example line', () => {
  assert.equal(
    render(ENVOY_DEFAULT_ACCESS_LOG_FORMAT),
    '[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" ' +
      '"cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "10.0.2.1:80"\n',
  );
});

test('missing values print "-" in text, "" in header values and with omit_empty_values', () => {
  const ctx = { streamInfo: new StreamInfo('127.0.0.1:80', '127.0.0.1:5000') };
  assert.equal(render('%REQ(user-agent)% %UPSTREAM_HOST% %ROUTE_NAME% %DURATION%', ctx), '- - - -');
  assert.equal(render('a%UPSTREAM_HOST%b', ctx, { forHeaderValue: true }), 'ab');
  assert.equal(render('a%UPSTREAM_HOST%b', ctx, { omitEmptyValues: true }), 'ab');
  // A request that never got a response logs code 0, as Envoy does.
  assert.equal(render('%RESPONSE_CODE% %RESPONSE_FLAGS%', ctx), '0 -');
});

test('response flags print in Envoy order, short and long', () => {
  const ctx = exampleContext();
  ctx.streamInfo.setResponseFlag('UpstreamRetryLimitExceeded');
  ctx.streamInfo.setResponseFlag('NoHealthyUpstream');
  assert.equal(render('%RESPONSE_FLAGS%', ctx), 'UH,URX');
  assert.equal(render('%RESPONSE_FLAGS_LONG%', ctx), 'NoHealthyUpstream,UpstreamRetryLimitExceeded');
});

test('%REQ(X?Y)% falls back to the alternative header', () => {
  const ctx = exampleContext();
  assert.equal(render('%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%', ctx), '/api/v1/locations');
  ctx.requestHeaders!.set('x-envoy-original-path', '/original');
  assert.equal(render('%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%', ctx), '/original');
  assert.equal(render('%REQUEST_HEADER(:method)% %RESPONSE_HEADER(:status)% %TRAILER(grpc-status)%', ctx), 'POST 204 -');
});

test(':Z truncates values', () => {
  assert.equal(render('%REQ(USER-AGENT):3%|%REQ(X-REQUEST-ID):8%|%UPSTREAM_CLUSTER:2%'), 'nsq|cc21d9b0|lo');
  assert.equal(render('%REQ(:PATH):100%'), '/api/v1/locations');
});

test('START_TIME with strftime formats, %s and fractional seconds', () => {
  assert.equal(render('%START_TIME(%Y/%m/%dT%H:%M:%S%z)%'), '2016/04/15T20:17:00+0000');
  assert.equal(render('%START_TIME(%s.%3f)%'), `${Math.floor(START / 1000)}.310`);
  assert.equal(render('%START_TIME(%s.%6f|%f)%'), `${Math.floor(START / 1000)}.310000|310000000`);
  assert.equal(render('%START_TIME(%a %b %e %j %E3S)%'), 'Fri Apr 15 106 00.310');
});

test('durations are whole milliseconds', () => {
  assert.equal(
    render('%DURATION% %REQUEST_DURATION% %RESPONSE_DURATION% %RESPONSE_TX_DURATION%'),
    '226 3 120 105',
  );
});

test('address, upstream and connection operators', () => {
  const ctx = exampleContext();
  ctx.connection = {
    id: 7, localAddress: '10.0.0.5', localPort: 10000, remoteAddress: '10.0.35.28', remotePort: 51234, scheme: 'https',
    tls: { sni: 'locations.example.com', peerCertificatePresented: true, peerUriSans: ['spiffe://cluster.local/ns/default/sa/client'], version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256' },
  };
  assert.equal(
    render(
      '%DOWNSTREAM_REMOTE_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% %DOWNSTREAM_REMOTE_PORT% ' +
        '%DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_PORT% %UPSTREAM_HOST% %UPSTREAM_CLUSTER% ' +
        '%UPSTREAM_REQUEST_ATTEMPT_COUNT% %ROUTE_NAME% %CONNECTION_ID% %REQUESTED_SERVER_NAME% ' +
        '%DOWNSTREAM_PEER_URI_SAN% %DOWNSTREAM_TLS_VERSION% %UPSTREAM_PEER_URI_SAN%',
      ctx,
    ),
    '10.0.35.28:51234 10.0.35.28 51234 10.0.0.5:10000 10000 10.0.2.1:80 locations 1 default 7 ' +
      'locations.example.com spiffe://cluster.local/ns/default/sa/client TLSv1.3 -',
  );
  const v6 = { streamInfo: new StreamInfo('[::1]:8080', '[2001:db8::2]:40000') };
  assert.equal(render('%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% %DOWNSTREAM_LOCAL_PORT%', v6), '2001:db8::2 8080');
});

test('metadata, filter state, environment, local reply body and %%', () => {
  const ctx = exampleContext();
  ctx.streamInfo.dynamicMetadata['com.test.my_filter'] = { test_key: 'foo', test_object: { inner_key: 'bar' } };
  ctx.streamInfo.filterState.set('my.key', 'value');
  ctx.localReplyBody = 'no healthy upstream';
  process.env.SKEIN_FORMATTER_TEST = 'from-env';
  assert.equal(
    render('%DYNAMIC_METADATA(com.test.my_filter:test_object:inner_key)% %DYNAMIC_METADATA(com.test.my_filter:test_object)% %DYNAMIC_METADATA(com.test.my_filter:nope)%', ctx),
    'bar {"inner_key":"bar"} -',
  );
  assert.equal(render('%FILTER_STATE(my.key)% %FILTER_STATE(my.key:PLAIN)% %FILTER_STATE(other)%', ctx), '"value" value -');
  assert.equal(render('%ENVIRONMENT(SKEIN_FORMATTER_TEST)% %ENVIRONMENT(SKEIN_NOT_SET_ANYWHERE)%', ctx), 'from-env -');
  assert.equal(render('%LOCAL_REPLY_BODY%:%RESPONSE_CODE% 100%% done', ctx), 'no healthy upstream:204 100% done');
});

test('gRPC status and trace id come from headers', () => {
  const ctx = exampleContext();
  ctx.requestHeaders!.set('content-type', 'application/grpc');
  ctx.requestHeaders!.set('x-b3-traceid', '80f198ee56343ba864fe8b2a57d3eff7');
  ctx.responseTrailers = HeaderMap.from([['grpc-status', '14']]);
  assert.equal(render('%GRPC_STATUS% %GRPC_STATUS(NUMBER)% %GRPC_STATUS(SNAKE_STRING)% %TRACE_ID%', ctx), 'Unavailable 14 UNAVAILABLE 80f198ee56343ba864fe8b2a57d3eff7');
});

test('bad templates are rejected naming the operator', () => {
  assert.throws(() => compileFormatString('[%FOO%] %REQ(:PATH)%'), { message: 'unknown command operator %FOO% in "[%FOO%] %REQ(:PATH)%"' });
  assert.throws(() => compileFormatString('100% done'), /position 3 .*write %% for a literal/);
  assert.throws(() => compileFormatString('%REQ(:PATH)'), /not closed by "%"/);
  assert.throws(() => compileFormatString('%REQ%'), /%REQ% needs a header name/);
  assert.throws(() => compileFormatString('%REQ(a?b?c)%'), /one alternative header/);
  assert.throws(() => compileFormatString('%DURATION(x)%'), /%DURATION\(x\)% takes no parameters/);
});

test('templates without operators render as constants', () => {
  assert.equal(render('plain text\n'), 'plain text\n');
  assert.equal(render(''), '');
});

test("Istio's default proxy access log format compiles and renders", () => {
  const istio =
    '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ' +
    '%RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% ' +
    '%BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" ' +
    '"%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW% %UPSTREAM_LOCAL_ADDRESS% ' +
    '%DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%\n';
  const ctx = exampleContext();
  ctx.streamInfo.responseCodeDetails = 'via_upstream';
  ctx.streamInfo.upstreamLocalAddress = '10.0.0.5:40312';
  assert.equal(
    render(istio, ctx),
    '[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - via_upstream - "-" 154 0 226 100 "10.0.35.28" ' +
      '"nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "10.0.2.1:80" locations 10.0.0.5:40312 ' +
      '10.0.0.5:10000 10.0.35.28:51234 - default\n',
  );
});
