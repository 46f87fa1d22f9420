import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../../src/api/json/issues.js';
import { closeAccessLogs, createAccessLogs, reopenAll } from '../../../src/proxy/observability/access_log/index.js';
import { exampleContext } from './helpers.js';

const FILE_URL = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-accesslog-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function ctxWithStatus(code: number, id: string) {
  const ctx = exampleContext();
  ctx.streamInfo.responseCode = code;
  ctx.requestHeaders!.set('x-request-id', id);
  return ctx;
}

test('file logger appends formatted lines in order', async () => {
  const file = path.join(dir, 'access.log');
  fs.writeFileSync(file, 'existing\n');
  const logs = createAccessLogs(
    [{ name: 'envoy.access_loggers.file', typed_config: { '@type': FILE_URL, path: file, log_format: { text_format_source: { inline_string: '%RESPONSE_CODE% %REQ(x-request-id)%\n' } } } }],
    'access_log',
  );
  assert.equal(logs.length, 1);
  for (let i = 0; i < 500; i++) logs[0]!.log(ctxWithStatus(200, `req-${i}`));
  await closeAccessLogs(logs);
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  assert.equal(lines[0], 'existing');
  assert.deepEqual(lines.slice(1, -1), Array.from({ length: 500 }, (_, i) => `200 req-${i}`));
});

test('two loggers on one path share the file; the filter decides what is written', async () => {
  const file = path.join(dir, 'shared.log');
  const logs = createAccessLogs(
    [
      { name: 'a', typed_config: { '@type': FILE_URL, path: file, format: 'all %RESPONSE_CODE%\n' } },
      {
        name: 'b',
        filter: { status_code_filter: { comparison: { op: 'GE', value: { default_value: 500, runtime_key: 'k' } } } },
        typed_config: { '@type': FILE_URL, path: file, format: 'errors %RESPONSE_CODE%\n' },
      },
    ],
    'access_log',
  );
  for (const code of [200, 503, 404]) for (const l of logs) l.log(ctxWithStatus(code, 'x'));
  await closeAccessLogs(logs);
  assert.equal(fs.readFileSync(file, 'utf8'), 'all 200\nall 503\nerrors 503\nall 404\n');
});

test('typed_json_format and the default format via the legacy name', async () => {
  const jsonFile = path.join(dir, 'json.log');
  const textFile = path.join(dir, 'default.log');
  const logs = createAccessLogs(
    [
      { name: 'envoy.file_access_log', typed_config: { '@type': FILE_URL, path: jsonFile, typed_json_format: { code: '%RESPONSE_CODE%', flags: '%RESPONSE_FLAGS%' } } },
      { name: 'envoy.file_access_log', typed_config: { '@type': FILE_URL, path: textFile } },
    ],
    'access_log',
  );
  for (const l of logs) l.log(exampleContext());
  await closeAccessLogs(logs);
  assert.equal(fs.readFileSync(jsonFile, 'utf8'), '{"code":204,"flags":"-"}\n');
  assert.equal(
    fs.readFileSync(textFile, 'utf8'),
    '[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" ' +
      '"cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "10.0.2.1:80"\n',
  );
});

test('reopenAll starts a new file after rotation', async () => {
  const file = path.join(dir, 'rotate.log');
  const logs = createAccessLogs([{ name: 'f', typed_config: { '@type': FILE_URL, path: file, format: '%REQ(x-request-id)%\n' } }], 'access_log');
  logs[0]!.log(ctxWithStatus(200, 'before'));
  fs.renameSync(file, `${file}.1`);
  reopenAll();
  logs[0]!.log(ctxWithStatus(200, 'after'));
  await closeAccessLogs(logs);
  assert.equal(fs.readFileSync(`${file}.1`, 'utf8'), 'before\n');
  assert.equal(fs.readFileSync(file, 'utf8'), 'after\n');
});

test('config errors name the entry and field', () => {
  assert.throws(
    () => createAccessLogs([{ name: 'f', typed_config: { '@type': FILE_URL, path: path.join(dir, 'no-such-dir', 'x.log') } }], 'listeners[0].access_log'),
    (err: unknown) => err instanceof ConfigError && /^listeners\[0\]\.access_log\[0\]\.typed_config\.path: cannot open access log file .*ENOENT$/.test(err.message),
  );
  assert.throws(
    () => createAccessLogs([{ name: 'f', typed_config: { '@type': FILE_URL, path: path.join(dir, 'ok.log'), format: '%NOPE%' } }], 'access_log'),
    /access_log\[0\]\.typed_config\.format: unknown command operator %NOPE%/,
  );
  assert.throws(() => createAccessLogs([{ name: 'envoy.access_loggers.nope' }], 'access_log'), /access_log\[0\]: unknown envoy.access_loggers extension "envoy.access_loggers.nope"/);
  assert.throws(() => createAccessLogs([{ name: 'envoy.access_loggers.file', typed_config: { '@type': FILE_URL } }], 'al'), /al\[0\]\.typed_config\.path: path is required/);
});

test('stdout logger writes to the process stdout', () => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const indexUrl = new URL(`file://${path.resolve(here, '../../../src/proxy/observability/access_log/index.js')}`).href;
  const helpersUrl = new URL(`file://${path.join(here, 'helpers.js')}`).href;
  const script = `
    const { createAccessLogs, closeAccessLogs } = await import(${JSON.stringify(indexUrl)});
    const { exampleContext } = await import(${JSON.stringify(helpersUrl)});
    const logs = createAccessLogs([{ name: 'envoy.access_loggers.stdout', typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
      log_format: { text_format: 'line %RESPONSE_CODE%\\n' } } }], 'access_log');
    for (let i = 0; i < 3; i++) logs[0].log(exampleContext());
    await closeAccessLogs(logs);`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(out.stderr, '');
  assert.equal(out.stdout, 'line 204\nline 204\nline 204\n');
});
