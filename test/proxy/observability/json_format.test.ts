import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../../src/api/json/issues.js';
import { StreamInfo } from '../../../src/proxy/http/stream_info.js';
import { compileJsonFormat, compileSubstitutionFormat } from '../../../src/proxy/observability/formatter/json_format.js';
import { exampleContext } from './helpers.js';

const FORMAT = {
  start_time: '%START_TIME%',
  method: '%REQ(:METHOD)%',
  response_code: '%RESPONSE_CODE%',
  duration: '%DURATION%',
  bytes_sent: '%BYTES_SENT%',
  upstream: { host: '%UPSTREAM_HOST%', failure: '%UPSTREAM_TRANSPORT_FAILURE_REASON%' },
  summary: '%RESPONSE_CODE% in %DURATION%ms %REQ(x-missing)%',
  fixed: 'skein',
  version: 3,
};

test('json_format keeps numbers, uses null for missing values, one line', () => {
  const line = compileJsonFormat(FORMAT).format(exampleContext());
  assert.equal(
    line,
    '{"start_time":"2016-04-15T20:17:00.310Z","method":"POST","response_code":204,"duration":226,"bytes_sent":0,' +
      '"upstream":{"host":"10.0.2.1:80","failure":null},"summary":"204 in 226ms -","fixed":"skein","version":3}\n',
  );
});

test('untyped json renders strings and "-"; omit_empty_values drops missing keys', () => {
  const ctx = exampleContext();
  assert.equal(
    compileJsonFormat({ code: '%RESPONSE_CODE%', failure: '%UPSTREAM_TRANSPORT_FAILURE_REASON%' }, { typed: false }).format(ctx),
    '{"code":"204","failure":"-"}\n',
  );
  assert.equal(
    compileJsonFormat({ code: '%RESPONSE_CODE%', failure: '%UPSTREAM_TRANSPORT_FAILURE_REASON%' }, { omitEmptyValues: true }).format(ctx),
    '{"code":204}\n',
  );
});

test('dynamic metadata renders as nested JSON in typed output', () => {
  const ctx = exampleContext();
  ctx.streamInfo.dynamicMetadata['envoy.lb'] = { canary: true, weight: 10 };
  assert.equal(
    compileJsonFormat({ md: '%DYNAMIC_METADATA(envoy.lb)%', canary: '%DYNAMIC_METADATA(envoy.lb:canary)%' }).format(ctx),
    '{"md":{"canary":true,"weight":10},"canary":true}\n',
  );
});

test('sort_properties orders keys', () => {
  const f = compileSubstitutionFormat({ json_format: { b: '%PROTOCOL%', a: 'x' }, json_format_options: { sort_properties: true } }, 'log_format');
  assert.equal(f.format(exampleContext()), '{"a":"x","b":"HTTP/2"}\n');
});

test('SubstitutionFormatString: text, inline source, omit_empty_values, default', () => {
  const ctx = { streamInfo: new StreamInfo('127.0.0.1:80', '127.0.0.1:5000') };
  assert.equal(compileSubstitutionFormat({ text_format: '%RESPONSE_CODE%:%ROUTE_NAME%\n' }, 'f').format(ctx), '0:-\n');
  assert.equal(compileSubstitutionFormat({ text_format_source: { inline_string: '[%ROUTE_NAME%]' }, omit_empty_values: true }, 'f').format(ctx), '[]');
  assert.match(compileSubstitutionFormat(undefined, 'f').format(ctx), /^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] "- - HTTP\/1.1" 0 - 0 0 - - "-" "-" "-" "-" "-"\n$/);
});

test('format errors are ConfigErrors naming the field', () => {
  assert.throws(
    () => compileSubstitutionFormat({ json_format: { request: { path: '%BOGUS%' } } }, 'access_log[0].typed_config.log_format'),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.issues[0]!.path === 'access_log[0].typed_config.log_format.json_format.request.path' &&
      err.issues[0]!.message === 'unknown command operator %BOGUS% in "%BOGUS%"',
  );
  assert.throws(
    () => compileSubstitutionFormat({ text_format: '%FOO%' }, 'lf'),
    (err: unknown) => err instanceof ConfigError && err.issues[0]!.path === 'lf.text_format',
  );
  assert.throws(() => compileSubstitutionFormat({ text_format: 'a', json_format: {} }, 'lf'), /only one of text_format, json_format/);
  assert.throws(
    () => compileSubstitutionFormat({ text_format: 'a', formatters: [{ name: 'envoy.formatter.cel', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.formatter.cel.v3.Cel' } }] }, 'lf'),
    /lf.formatters\[0\]: formatter extension "envoy.formatter.cel"/,
  );
});
