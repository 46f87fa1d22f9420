import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { Endpoint, PushContext } from '../../src/discovery/model/types.js';
import { endpointPicker, TcpForwarder } from '../../src/mesh/forwarder.js';
import { NodePorts } from '../../src/mesh/node_ports.js';
import { podTable, formatAge } from '../../src/mesh/status_table.js';

function echoServer(tag: string): Promise<net.Server> {
  return new Promise((resolve) => {
    const server = net.createServer({ allowHalfOpen: true }, (s) => {
      let got = '';
      s.on('data', (d) => (got += d));
      s.on('end', () => s.end(`${tag}:${got}`));
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function send(port: number, text: string, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, allowHalfOpen: true }, () => s.end(text));
    let got = '';
    s.on('data', (d) => (got += d));
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}

const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;

function fakePush(endpoints: Endpoint[], services: unknown[] = []): PushContext {
  return { endpoints: () => endpoints, services: () => services } as unknown as PushContext;
}

const endpoint = (port: number, healthy = true): Endpoint => ({
  address: '127.0.0.1', port, servicePortName: 'http', servicePort: 80, labels: {}, serviceAccount: 'default', locality: '', network: '', namespace: 'ns', healthy,
});

describe('local mesh forwarders (kube-proxy)', () => {
  const servers: net.Server[] = [];
  before(async () => {
    servers.push(await echoServer('a'), await echoServer('b'), await echoServer('sick'));
  });
  after(() => {
    for (const s of servers) s.close();
  });

  it('forwards each connection to the next healthy endpoint, half-close included', async () => {
    const [a, b, sick] = servers.map(portOf) as [number, number, number];
    const f = new TcpForwarder(endpointPicker(() => fakePush([endpoint(a), endpoint(sick, false), endpoint(b)]), 'svc', 80));
    await f.listen('127.0.0.1', 0);
    const port = portOf((f as unknown as { server: net.Server }).server);
    try {
      const answers = [await send(port, 'x'), await send(port, 'y'), await send(port, 'z')];
      assert.deepEqual(answers, ['a:x', 'b:y', 'a:z']);
    } finally {
      await f.close();
    }
  });

  it('closes connections when a service has no healthy endpoint', async () => {
    const f = new TcpForwarder(endpointPicker(() => fakePush([]), 'svc', 80));
    await f.listen('127.0.0.1', 0);
    try {
      assert.equal(await send(portOf((f as unknown as { server: net.Server }).server), 'x'), '');
    } finally {
      await f.close();
    }
  });

  it('opens node ports of NodePort and LoadBalancer services and explains failures', async () => {
    const [a] = servers.map(portOf) as [number];
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '0.0.0.0', () => r()));
    const taken = portOf(blocker);
    const free = await new Promise<number>((r) => {
      const s = net.createServer().listen(0, () => {
        const p = portOf(s);
        s.close(() => r(p));
      });
    });
    const services = [
      { hostname: 'gw.istio-system.svc.cluster.local', name: 'gw', namespace: 'istio-system', serviceType: 'LoadBalancer', ports: [{ name: 'http2', port: 80, nodePort: free }, { name: 'https', port: 443, nodePort: taken }] },
      { hostname: 'c.ns.svc.cluster.local', name: 'c', namespace: 'ns', serviceType: 'ClusterIP', ports: [{ name: 'http', port: 80, nodePort: 1 }] },
    ];
    const lines: string[] = [];
    const nodePorts = new NodePorts(() => fakePush([endpoint(a)], services), (l) => lines.push(l));
    try {
      await nodePorts.reconcile();
      assert.deepEqual(nodePorts.ports(), [free]);
      assert.equal(await send(free, 'hi'), 'a:hi');
      assert.ok(lines.some((l) => l === `node port 127.0.0.1:${free} → service istio-system/gw port 80 (http2)`), lines.join('\n'));
      assert.ok(lines.some((l) => l.startsWith(`node port ${taken} for service istio-system/gw port 443 (https) not opened: the port is in use`)), lines.join('\n'));
      await nodePorts.reconcile();
      assert.equal(lines.length, 2, 'a failure is reported once');
    } finally {
      await nodePorts.close();
      blocker.close();
    }
  });
});

describe('skein mesh status table', () => {
  it('prints pods like kubectl get pods -o wide', () => {
    const now = Date.parse('2025-01-01T00:10:00Z');
    const table = podTable(
      [
        { namespace: 'istioinaction', name: 'catalog-0123456789-bcdfg', deployment: 'catalog', kind: 'sidecar', ready: '2/2', status: 'Running', restarts: 0, createdAt: '2025-01-01T00:09:15Z', ip: '127.1.0.2' },
        { namespace: 'istio-system', name: 'istio-ingressgateway-0123456789-hjklm', deployment: 'istio-ingressgateway', kind: 'gateway', ready: '1/1', status: 'Running', restarts: 1, createdAt: '2025-01-01T00:00:00Z', ip: '127.1.0.1' },
      ],
      { now, withNamespace: true },
    );
    assert.equal(
      table,
      [
        'NAMESPACE       NAME                                    READY   STATUS    RESTARTS   AGE   IP',
        'istioinaction   catalog-0123456789-bcdfg                2/2     Running   0          45s   127.1.0.2',
        'istio-system    istio-ingressgateway-0123456789-hjklm   1/1     Running   1          10m   127.1.0.1',
        '',
      ].join('\n'),
    );
    assert.deepEqual([5_000, 200_000, 3 * 3600_000 + 60_000, 30 * 3600_000, 3 * 86400_000].map(formatAge), ['5s', '3m20s', '3h1m', '30h', '3d0h']);
  });
});
