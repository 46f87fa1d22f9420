// `skein demo-app`: seed 004's demo image (HOST / PORT / APP_NAME / GLOBAL_PREFIX).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normalizePrefix, startDemoApp } from '../../src/testing/demo_app/index.js';
import type { RunningServer } from '../../src/testing/httpbin/listen.js';
import { run, spawnSkein, stopProcess, type SkeinProcess } from '../helpers/process.js';

const get = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { headers });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
};

describe('skein demo-app', () => {
  const servers: RunningServer[] = [];
  const procs: SkeinProcess[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(procs.map((p) => stopProcess(p)));
  });

  it('answers with its APP_NAME, so the seed’s canary check can tell v1 from v2', async () => {
    const app = await startDemoApp({ port: 0, host: '127.0.0.1', appName: 'myapp v2' });
    servers.push(app);
    const root = await get(`http://127.0.0.1:${app.port}/`);
    assert.equal(root.status, 200);
    assert.match(root.text, /^Hello from myapp v2 \(.+\)\n$/);
    assert.match(root.type ?? '', /^text\/plain/);
    const headers = await get(`http://127.0.0.1:${app.port}/headers`, { 'x-canary': 'v2-20pct' });
    const body = JSON.parse(headers.text) as { app: string; headers: Record<string, string> };
    assert.equal(body.app, 'myapp v2');
    assert.equal(body.headers['x-canary'], 'v2-20pct');
    assert.equal((await get(`http://127.0.0.1:${app.port}/healthz`)).text, 'ok\n');
    assert.equal((await get(`http://127.0.0.1:${app.port}/nope`)).status, 404);
  });

  it('serves only under GLOBAL_PREFIX', async () => {
    assert.equal(normalizePrefix('/other/'), '/other');
    assert.equal(normalizePrefix('other'), '/other');
    assert.equal(normalizePrefix('/'), '');
    const app = await startDemoApp({ port: 0, host: '127.0.0.1', appName: 'otherapp', globalPrefix: '/other' });
    servers.push(app);
    assert.match((await get(`http://127.0.0.1:${app.port}/other`)).text, /^Hello from otherapp/);
    assert.match((await get(`http://127.0.0.1:${app.port}/other/`)).text, /^Hello from otherapp/);
    assert.equal((await get(`http://127.0.0.1:${app.port}/other/healthz`)).status, 200);
    assert.equal((await get(`http://127.0.0.1:${app.port}/`)).status, 404);
    assert.equal((await get(`http://127.0.0.1:${app.port}/otherwise`)).status, 404);
  });

  it('takes HOST, PORT, APP_NAME and GLOBAL_PREFIX from the environment, as the seed’s Deployment sets them', async () => {
    const proc = spawnSkein(['demo-app'], { HOST: '127.0.0.1', PORT: '0', APP_NAME: 'myapp v1', GLOBAL_PREFIX: '/v1' });
    procs.push(proc);
    const m = await proc.waitFor(/demo-app listening on http:\/\/127\.0\.0\.1:(\d+)/);
    const r = await run('curl', ['-s', `http://127.0.0.1:${m[1]}/v1`]);
    assert.match(r.stdout, /^Hello from myapp v1/);
  });
});
