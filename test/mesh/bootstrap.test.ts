import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { SKEIN_VERSION } from '../../src/common/version.js';
import { parseProxy } from '../../src/discovery/model/proxy.js';
import { nodeId, proxyBootstrap, type BootstrapInput } from '../../src/mesh/bootstrap.js';
import { run, tempDir } from '../helpers/process.js';
import { skeinBin } from '../helpers/paths.js';

const SIDECAR: BootstrapInput = {
  type: 'sidecar',
  podName: 'webapp-0123456789-bcdfg',
  namespace: 'istioinaction',
  podIp: '127.1.0.3',
  labels: { app: 'webapp', 'security.istio.io/tlsMode': 'istio' },
  deployment: 'webapp',
  serviceAccount: 'webapp',
  appAddress: '127.2.0.3',
  appContainers: ['webapp'],
  containerPorts: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
  xdsPort: 15010,
};

type Json = Record<string, any>;

describe('local mesh proxy bootstrap', () => {
  it('identifies the proxy as pilot-agent would', () => {
    const b = proxyBootstrap(SIDECAR) as Json;
    assert.equal(b.node.id, 'sidecar~127.1.0.3~webapp-0123456789-bcdfg.istioinaction~istioinaction.svc.cluster.local');
    assert.equal(b.node.cluster, 'webapp.istioinaction');
    const md = b.node.metadata;
    assert.deepEqual(md.LABELS, SIDECAR.labels);
    assert.equal(md.NAMESPACE, 'istioinaction');
    assert.equal(md.WORKLOAD_NAME, 'webapp');
    assert.equal(md.CLUSTER_ID, 'Kubernetes');
    assert.equal(md.ISTIO_VERSION, SKEIN_VERSION);
    assert.equal(md.INSTANCE_IPS, '127.1.0.3');
    assert.equal(md.SKEIN_APP_ADDRESS, '127.2.0.3');
    assert.equal(md.SERVICE_ACCOUNT, 'webapp');
    assert.equal(md.OWNER, 'kubernetes://apis/apps/v1/namespaces/istioinaction/deployments/webapp');
    assert.equal(md.POD_PORTS, '[{"containerPort":8080,"name":"http","protocol":"TCP"}]');
    // what the discovery server will make of it
    const proxy = parseProxy(b.node);
    assert.equal(proxy.type, 'sidecar');
    assert.equal(proxy.podName, 'webapp-0123456789-bcdfg');
    assert.equal(proxy.appAddress, '127.2.0.3');
    assert.equal(proxy.localPodIndex, 3);
  });

  it('has ADS over xds-grpc and the static clusters of seed 003’s table', () => {
    const b = proxyBootstrap(SIDECAR) as Json;
    assert.deepEqual(b.admin.address.socket_address, { protocol: 'TCP', address: '127.1.0.3', port_value: 15000 });
    assert.equal(b.dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name, 'xds-grpc');
    assert.deepEqual(b.dynamic_resources.lds_config.ads, {});
    assert.deepEqual(b.dynamic_resources.cds_config.ads, {});
    const clusters = b.static_resources.clusters as Json[];
    assert.deepEqual(clusters.map((c) => [c.name, c.type]), [['prometheus_stats', 'STATIC'], ['agent', 'STATIC'], ['xds-grpc', 'STATIC']]);
    const xds = clusters[2]!;
    assert.deepEqual(xds.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, { protocol: 'TCP', address: '127.0.0.1', port_value: 15010 });
    assert.ok(xds.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].explicit_http_config.http2_protocol_options);
    const listeners = b.static_resources.listeners as Json[];
    assert.deepEqual(listeners.map((l) => `${l.address.socket_address.address}:${l.address.socket_address.port_value}`), ['0.0.0.0:15090', '0.0.0.0:15021']);
  });

  it('makes gateways routers without an app address', () => {
    const b = proxyBootstrap({ ...SIDECAR, type: 'router', podName: 'istio-ingressgateway-0123456789-bcdfg', namespace: 'istio-system', deployment: 'istio-ingressgateway', appAddress: undefined, podIp: '127.1.0.1' }) as Json;
    assert.equal(b.node.id, 'router~127.1.0.1~istio-ingressgateway-0123456789-bcdfg.istio-system~istio-system.svc.cluster.local');
    assert.equal(b.node.metadata.SKEIN_APP_ADDRESS, undefined);
    assert.equal(nodeId({ type: 'router', podIp: '1.2.3.4', podName: 'p', namespace: 'n', domainSuffix: 'example.org' }), 'router~1.2.3.4~p.n~n.svc.example.org');
  });

  it('is a bootstrap the proxy accepts (skein proxy --mode validate)', async () => {
    const dir = tempDir();
    try {
      for (const input of [SIDECAR, { ...SIDECAR, type: 'router' as const, appAddress: undefined }]) {
        const file = path.join(dir, `${input.type}.json`);
        fs.writeFileSync(file, JSON.stringify(proxyBootstrap(input)));
        const r = await run(process.execPath, [skeinBin, 'proxy', '-c', file, '--mode', 'validate', '--pod-ip', input.podIp]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /OK/);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
