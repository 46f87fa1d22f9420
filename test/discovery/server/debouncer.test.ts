// The push debouncer: bursts merge into one push with every reason, a quiet period
// ends the wait, and a steady stream of changes cannot postpone a push past its cap.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PushDebouncer } from '../../../src/discovery/server/debouncer.js';
import { ProxyTable } from '../../../src/discovery/server/proxy_table.js';
import { parseProxy } from '../../../src/discovery/model/index.js';
import { waitFor } from '../../helpers/wait.js';

describe('PushDebouncer', () => {
  it('merges a burst into one run carrying every reason once', async () => {
    const runs: string[][] = [];
    const d = new PushDebouncer(20, 1000, (r) => runs.push(r));
    d.schedule('config');
    d.schedule('pods');
    d.schedule('config');
    await waitFor(() => runs.length === 1, 'one run');
    assert.deepEqual(runs[0], ['config', 'pods']);
    assert.equal(d.pending, false);
    d.close();
  });

  it('runs by the cap even while changes keep coming', async () => {
    const runs: string[][] = [];
    const d = new PushDebouncer(10_000, 50, (r) => runs.push(r));
    const timer = setInterval(() => d.schedule('pods'), 5);
    try {
      await waitFor(() => runs.length >= 1, 'a run despite constant changes');
    } finally {
      clearInterval(timer);
      d.close();
    }
  });

  it('flush runs a pending push now; close drops it', () => {
    const runs: string[][] = [];
    const d = new PushDebouncer(10_000, 10_000, (r) => runs.push(r));
    d.flush();
    assert.equal(runs.length, 0, 'nothing pending, nothing run');
    d.schedule('initial');
    d.flush();
    assert.deepEqual(runs, [['initial']]);
    d.schedule('config');
    d.close();
    d.schedule('config');
    d.flush();
    assert.equal(runs.length, 1);
  });
});

describe('ProxyTable', () => {
  const proxy = (pod: string, ns: string) => parseProxy({ id: `sidecar~10.0.0.1~${pod}.${ns}~${ns}.svc.cluster.local` });

  it('finds proxies by node id, POD.NS, or an unambiguous POD', () => {
    const t = new ProxyTable();
    const a = t.upsert(proxy('web-1', 'a'), 'fa');
    t.upsert(proxy('web-1', 'b'), 'fb');
    t.upsert(proxy('api-1', 'a'), 'fc');
    assert.equal(t.find(a.proxy.id), a);
    assert.equal(t.find('web-1.a'), a);
    assert.equal(t.find('web-1'), undefined, 'two namespaces have a web-1');
    assert.equal(t.find('api-1')?.proxy.namespace, 'a');
    assert.equal(t.find('nope'), undefined);
  });

  it('forgets proxies without a live stream after the grace period only', () => {
    const t = new ProxyTable();
    const now = Date.now();
    const live = t.upsert(proxy('live', 'a'), 'x');
    const gone = t.upsert(proxy('gone', 'a'), 'y');
    gone.lastSeen = now - 1000;
    live.lastSeen = now - 1000;
    assert.deepEqual(t.sweep(new Set([live.proxy.id]), 500, now), [gone.proxy.id]);
    assert.equal(t.size, 1);
    assert.equal(live.lastSeen, now);
    assert.deepEqual(t.sweep(new Set(), 500, now + 100), []);
  });
});
