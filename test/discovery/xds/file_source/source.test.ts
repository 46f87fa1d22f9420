// Following the disk: a write (or an editor's write-to-temp-then-rename) becomes a
// new published snapshot without anyone calling scan(), and rejected files are logged
// with file:line.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CLUSTER_TYPE, ENDPOINT_TYPE } from '../../../../src/api/xds/resource_types.js';
import { Logger, LogRegistry } from '../../../../src/common/logger.js';
import type { Snapshot } from '../../../../src/discovery/xds/cache/snapshot.js';
import { FileXdsSource } from '../../../../src/discovery/xds/file_source/source.js';
import { cluster, endpoints, folderWith, GOOD } from './fixtures.js';

function capture(): { log: Logger; lines: string[] } {
  const registry = new LogRegistry('info');
  const lines: string[] = [];
  registry.sink = (line) => lines.push(line);
  return { log: new Logger('xds', registry), lines };
}

function waitFor<T>(check: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      const value = check();
      if (value !== undefined) return resolve(value);
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(poll, 20);
    };
    poll();
  });
}

const portOf = (s: Snapshot) => (s.resources(ENDPOINT_TYPE).get('service')!.resource as any).endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value;

describe('FileXdsSource', () => {
  for (const rescanMs of [0, 200]) {
    it(`publishes a new snapshot after a change (${rescanMs ? 'periodic rescan' : 'fs.watch only'})`, async () => {
      const dir = folderWith(GOOD);
      const published: Snapshot[] = [];
      const { log, lines } = capture();
      const source = new FileXdsSource({ dir, publish: (s) => published.push(s), rescanMs, debounceMs: rescanMs ? 60_000 : 50, log });
      try {
        source.start();
        assert.equal(published.length, 1);
        assert.match(lines.join('\n'), /serving version 1-[0-9a-f]{8} from .* \(4 files\): CDS 1, EDS 1, LDS 1, RDS 1, SDS 0/);

        // An editor's save: write a temp file, rename it over the original.
        const tmp = path.join(dir, '.endpoints.yaml.swp');
        fs.writeFileSync(tmp, endpoints(9001));
        fs.renameSync(tmp, path.join(dir, 'endpoints.yaml'));
        const next = await waitFor(() => published[1], 'the second snapshot');
        assert.equal(portOf(next), 9001);

        fs.writeFileSync(path.join(dir, 'endpoints.yaml'), 'endpoints: [\n');
        await waitFor(() => lines.find((l) => l.includes('rejected')), 'the rejection log line');
        assert.equal(published.length, 2);
        assert.match(lines.join('\n'), /\[error\]\[xds\] rejected .*endpoints\.yaml: keeping its last good version \(1 resource\)\n.*\[error\]\[xds\] {3}.*endpoints\.yaml:\d+: /);
        assert.equal(source.status().files.find((f) => f.file.endsWith('endpoints.yaml'))!.state, 'rejected');

        // A new subdirectory is watched too.
        fs.mkdirSync(path.join(dir, 'more'));
        await new Promise((r) => setTimeout(r, rescanMs ? 0 : 300));
        fs.writeFileSync(path.join(dir, 'more', 'extra.yaml'), cluster('extra').replace('type: EDS', 'type: STATIC'));
        const third = await waitFor(() => published[2], 'the third snapshot');
        assert.deepEqual([...third.resources(CLUSTER_TYPE).keys()], ['service', 'extra']);
      } finally {
        source.close();
      }
    });
  }
});
