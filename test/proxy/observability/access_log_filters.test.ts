import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { envoy } from '../../../src/api/envoy-types.generated.js';
import { Runtime } from '../../../src/proxy/server/runtime.js';
import { HeaderMap } from '../../../src/proxy/http/header_map.js';
import { compileAccessLogFilter } from '../../../src/proxy/observability/access_log/index.js';
import type { FormatContext } from '../../../src/proxy/observability/formatter/types.js';
import { exampleContext } from './helpers.js';

type Filter = envoy.config.accesslog.v3.AccessLogFilter;

function withStatus(code: number): FormatContext {
  const ctx = exampleContext();
  ctx.streamInfo.responseCode = code;
  return ctx;
}

const statusGe500: Filter = { status_code_filter: { comparison: { op: 'GE', value: { default_value: 500, runtime_key: 'access_log.min_status' } } } };

test('status_code_filter GE 500, overridable by runtime', () => {
  const p = compileAccessLogFilter(statusGe500, 'filter');
  assert.equal(p(withStatus(503)), true);
  assert.equal(p(withStatus(500)), true);
  assert.equal(p(withStatus(404)), false);
  const runtime = Runtime.fromBootstrap({ layers: [{ name: 'static', static_layer: { access_log: { min_status: 400 } } }] });
  assert.equal(compileAccessLogFilter(statusGe500, 'filter', { runtime })(withStatus(404)), true);
});

test('duration_filter compares whole milliseconds', () => {
  const p = compileAccessLogFilter({ duration_filter: { comparison: { op: 'LE', value: { default_value: 226, runtime_key: 'k' } } } }, 'f');
  assert.equal(p(exampleContext()), true); // 226.4 ms → 226
});

test('and_filter / or_filter combine', () => {
  const isPost: Filter = { header_filter: { header: { name: ':method', string_match: { exact: 'POST' } } } };
  const and = compileAccessLogFilter({ and_filter: { filters: [statusGe500, isPost] } }, 'f');
  const or = compileAccessLogFilter({ or_filter: { filters: [statusGe500, isPost] } }, 'f');
  assert.equal(and(withStatus(503)), true);
  assert.equal(and(withStatus(200)), false);
  assert.equal(or(withStatus(200)), true);
  const get = withStatus(200);
  get.requestHeaders!.set(':method', 'GET');
  assert.equal(or(get), false);
  assert.throws(() => compileAccessLogFilter({ and_filter: { filters: [statusGe500] } }, 'f'), /f.and_filter.filters: needs at least 2 filters/);
});

test('header_filter matches request headers; absent headers do not match', () => {
  const p = compileAccessLogFilter({ header_filter: { header: { name: 'x-debug', present_match: true } } }, 'f');
  const ctx = exampleContext();
  assert.equal(p(ctx), false);
  ctx.requestHeaders!.set('x-debug', '1');
  assert.equal(p(ctx), true);
  assert.equal(p({ streamInfo: ctx.streamInfo }), false);
});

test('response_flag_filter: listed flags, or any flag when empty; unknown flags rejected', () => {
  const listed = compileAccessLogFilter({ response_flag_filter: { flags: ['UH', 'UF'] } }, 'f');
  const any = compileAccessLogFilter({ response_flag_filter: {} }, 'f');
  const ctx = exampleContext();
  assert.equal(listed(ctx), false);
  assert.equal(any(ctx), false);
  ctx.streamInfo.setResponseFlag('UpstreamRetryLimitExceeded');
  assert.equal(listed(ctx), false);
  assert.equal(any(ctx), true);
  ctx.streamInfo.setResponseFlag('NoHealthyUpstream');
  assert.equal(listed(ctx), true);
  assert.throws(() => compileAccessLogFilter({ response_flag_filter: { flags: ['UH', 'XX'] } }, 'f'), /f.response_flag_filter.flags\[1\]: unknown response flag "XX"/);
});

test('grpc_status_filter reads grpc-status, else maps the HTTP status', () => {
  const p = compileAccessLogFilter({ grpc_status_filter: { statuses: ['UNAVAILABLE', 'INTERNAL'] } }, 'f');
  const ctx = withStatus(200);
  ctx.responseTrailers = HeaderMap.from([['grpc-status', '0']]);
  assert.equal(p(ctx), false);
  ctx.responseTrailers.set('grpc-status', '14');
  assert.equal(p(ctx), true);
  assert.equal(p(withStatus(503)), true); // no grpc-status: 503 → UNAVAILABLE
  const excl = compileAccessLogFilter({ grpc_status_filter: { statuses: ['OK'], exclude: true } }, 'f');
  assert.equal(excl(withStatus(503)), true);
});

test('metadata_filter and runtime_filter', () => {
  const md = compileAccessLogFilter(
    { metadata_filter: { matcher: { filter: 'envoy.lb', path: [{ key: 'canary' }], value: { bool_match: true } }, match_if_key_not_found: { value: false } } },
    'f',
  );
  const ctx = exampleContext();
  assert.equal(md(ctx), false);
  ctx.streamInfo.dynamicMetadata['envoy.lb'] = { canary: true };
  assert.equal(md(ctx), true);
  const never = compileAccessLogFilter({ runtime_filter: { runtime_key: 'log.sample', percent_sampled: { numerator: 0, denominator: 'HUNDRED' } } }, 'f');
  const always = compileAccessLogFilter({ runtime_filter: { runtime_key: 'log.sample', percent_sampled: { numerator: 100, denominator: 'HUNDRED' } } }, 'f');
  assert.equal(never(ctx), false);
  assert.equal(always(ctx), true);
});

test('unsupported or empty filters are config errors', () => {
  assert.throws(() => compileAccessLogFilter({}, 'access_log[0].filter'), /access_log\[0\].filter: an access log filter must set one filter/);
  assert.throws(() => compileAccessLogFilter({ log_type_filter: {} }, 'f'), /f.log_type_filter: access log filter log_type_filter is not supported/);
});
