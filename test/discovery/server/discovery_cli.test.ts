// `bin/skein discovery` as a process: it prints where it listens, answers /ready,
// reports config issues with file:line, stops on SIGTERM, and exits non-zero with a
// clear message when its port is taken.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { spawnSkein, stopProcess, tempDir, type SkeinProcess } from '../../helpers/process.js';
import { writeCoolstore } from './coolstore.js';

describe('skein discovery', () => {
  const dir = tempDir('skein-discovery-cli-');
  writeCoolstore(dir);
  const procs: SkeinProcess[] = [];
  after(async () => {
    for (const p of procs) await stopProcess(p);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves, answers /ready, logs config issues and stops on SIGTERM', async () => {
    fs.writeFileSync(path.join(dir, 'broken.yaml'), 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: broken\nspec:\n  http: 7\n');
    const proc = spawnSkein(['discovery', '--config', dir, '--port', '0', '--address', '127.0.0.1', '--debug-port', '0']);
    procs.push(proc);
    const xds = await proc.waitFor(/discovery server listening on 127\.0\.0\.1:(\d+)/);
    assert.ok(Number(xds[1]) > 0);
    const debug = (await proc.waitFor(/discovery debug listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    await proc.waitFor(/discovery server istiod-[0-9a-f]+ ready/);
    const ready = await fetch(`${debug}/ready`);
    assert.equal(ready.status, 200);
    await proc.waitFor(/\[error\]\[discovery\] config: .*broken\.yaml:\d+/);
    assert.match(await (await fetch(`${debug}/metrics`)).text(), /^pilot_info\{version="[^"]+"\} 1$/m);

    proc.kill('SIGTERM');
    assert.equal(await proc.exited, 0);
    assert.match(proc.output(), /caught SIGTERM; closing the discovery server/);
  });

  it('exits non-zero with a clear message when the xDS port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const proc = spawnSkein(['discovery', '--config', dir, '--port', String(taken), '--address', '127.0.0.1', '--debug-port', 'off']);
      procs.push(proc);
      assert.equal(await proc.exited, 1);
      assert.match(proc.output(), new RegExp(`cannot listen for xDS on 127\\.0\\.0\\.1:${taken}: the port is already in use`));
    } finally {
      blocker.close();
    }
  });

  it('explains a missing --config', async () => {
    const proc = spawnSkein(['discovery']);
    procs.push(proc);
    assert.equal(await proc.exited, 2);
    assert.match(proc.output(), /--config DIR is required/);
  });
});
