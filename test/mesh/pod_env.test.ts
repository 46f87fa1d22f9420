import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildContainerEnv, expandVars, kubernetesServiceEnv, rewriteArgs, rewriteValue, serviceNameTable, type EnvContext, type ServiceView } from '../../src/mesh/pod_env.js';

const CATALOG: ServiceView = { name: 'catalog', namespace: 'istioinaction', ports: [{ name: 'http', port: 80, protocol: 'HTTP', targetPort: 3000 }], address: '127.16.3.2' };
const WEBAPP: ServiceView = { name: 'webapp', namespace: 'istioinaction', ports: [{ name: 'http', port: 80, protocol: 'HTTP', targetPort: 8080 }], address: '127.16.3.3' };
const OTHER_NS: ServiceView = { name: 'httpbin', namespace: 'default', ports: [{ name: 'http-web', port: 8000, protocol: 'HTTP' }, { name: '', port: 9000, protocol: 'TCP' }], address: '127.16.3.4' };

function context(): EnvContext {
  return {
    pod: {
      name: 'webapp-0123456789-bcdfg',
      namespace: 'istioinaction',
      listenAddress: '127.2.0.3',
      podIp: '127.1.0.3',
      serviceAccount: 'webapp',
      labels: { app: 'webapp' },
      annotations: {},
      nodeName: 'laptop',
      uid: 'uid-1',
    },
    namespaceServices: [CATALOG, WEBAPP],
    reachable: [CATALOG, WEBAPP, OTHER_NS],
    domainSuffix: 'cluster.local',
    base: { PATH: '/usr/bin', CATALOG_SERVICE_HOST: 'from-the-shell' },
  };
}

describe('local mesh pod environment', () => {
  it('sets the Kubernetes service variables at the pod’s own address for each service', () => {
    const env = kubernetesServiceEnv([CATALOG, OTHER_NS]);
    assert.equal(env.CATALOG_SERVICE_HOST, '127.16.3.2');
    assert.equal(env.CATALOG_SERVICE_PORT, '80');
    assert.equal(env.CATALOG_SERVICE_PORT_HTTP, '80');
    assert.equal(env.CATALOG_PORT, 'tcp://127.16.3.2:80');
    assert.equal(env.CATALOG_PORT_80_TCP, 'tcp://127.16.3.2:80');
    assert.equal(env.CATALOG_PORT_80_TCP_ADDR, '127.16.3.2');
    assert.equal(env.CATALOG_PORT_80_TCP_PORT, '80');
    assert.equal(env.CATALOG_PORT_80_TCP_PROTO, 'tcp');
    assert.equal(env.HTTPBIN_SERVICE_PORT_HTTP_WEB, '8000');
    assert.equal(env.HTTPBIN_PORT_9000_TCP, 'tcp://127.16.3.4:9000');
  });

  it('resolves service names the way cluster DNS would, short names only in the pod’s namespace', () => {
    const names = serviceNameTable(context());
    assert.equal(names.get('catalog'), '127.16.3.2');
    assert.equal(names.get('catalog.istioinaction'), '127.16.3.2');
    assert.equal(names.get('catalog.istioinaction.svc'), '127.16.3.2');
    assert.equal(names.get('catalog.istioinaction.svc.cluster.local'), '127.16.3.2');
    assert.equal(names.get('httpbin.default'), '127.16.3.4');
    assert.equal(names.get('httpbin'), undefined);
  });

  it('rewrites wildcard listen addresses and service hosts, and leaves plain words alone', () => {
    const names = serviceNameTable(context());
    const rw = (v: string) => rewriteValue(v, '127.2.0.3', names);
    assert.equal(rw('0.0.0.0'), '127.2.0.3');
    assert.equal(rw('::'), '127.2.0.3');
    assert.equal(rw('0.0.0.0:8080'), '127.2.0.3:8080');
    assert.equal(rw('[::]:80'), '127.2.0.3:80');
    assert.equal(rw('catalog.istioinaction'), '127.16.3.2');
    assert.equal(rw('http://catalog.istioinaction.svc.cluster.local/items'), 'http://127.16.3.2/items');
    assert.equal(rw('http://catalog:80/items'), 'http://127.16.3.2:80/items');
    assert.equal(rw('http://catalog'), 'http://127.16.3.2');
    assert.equal(rw('catalog:80'), '127.16.3.2:80');
    assert.equal(rw('user@catalog.istioinaction:5432'), 'user@127.16.3.2:5432');
    // a bare short name is as likely a word (APP_NAME=otherapp) as a host
    assert.equal(rw('catalog'), 'catalog');
    assert.equal(rw('myapp v1'), 'myapp v1');
    assert.equal(rw('catalog.example.com'), 'catalog.example.com');
    assert.equal(rw('10.0.0.1'), '10.0.0.1');
  });

  it("expands $(VAR) like the kubelet", () => {
    assert.equal(expandVars('http://$(CATALOG_SERVICE_HOST):$(CATALOG_SERVICE_PORT)', { CATALOG_SERVICE_HOST: 'h', CATALOG_SERVICE_PORT: '80' }), 'http://h:80');
    assert.equal(expandVars('$(UNKNOWN) $$(ESCAPED)', {}), '$(UNKNOWN) $(ESCAPED)');
  });

  it('builds the book’s webapp environment: its CATALOG_SERVICE_HOST=catalog.istioinaction reaches its sidecar', () => {
    const { env, warnings } = buildContainerEnv(
      {
        name: 'webapp',
        image: 'istioinaction/webapp:latest',
        env: [
          { name: 'KUBERNETES_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'CATALOG_SERVICE_HOST', value: 'catalog.istioinaction' },
          { name: 'CATALOG_SERVICE_PORT', value: '80' },
          { name: 'FORUM_SERVICE_HOST', value: 'forum.istioinaction' },
          { name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: 'URL', value: 'http://$(CATALOG_SERVICE_HOST):$(CATALOG_SERVICE_PORT)' },
          { name: 'CM', valueFrom: { configMapKeyRef: { name: 'x', key: 'y' } } },
        ],
      },
      context(),
    );
    assert.equal(env.KUBERNETES_NAMESPACE, 'istioinaction');
    assert.equal(env.CATALOG_SERVICE_HOST, '127.16.3.2');
    assert.equal(env.CATALOG_SERVICE_PORT, '80');
    assert.equal(env.FORUM_SERVICE_HOST, 'forum.istioinaction', 'no such service: left as written');
    assert.equal(env.MY_IP, '127.2.0.3');
    assert.equal(env.APP, 'webapp');
    assert.equal(env.URL, 'http://127.16.3.2:80');
    assert.equal(env.CM, undefined);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /CM: valueFrom .* cannot be resolved/);
    assert.equal(env.PATH, '/usr/bin', 'the mesh’s own environment is inherited');
    assert.equal(env.HOSTNAME, 'webapp-0123456789-bcdfg');
    assert.equal(env.HOST, '127.2.0.3');
    assert.equal(env.POD_IP, '127.2.0.3');
    assert.equal(env.SKEIN_POD_IP, '127.1.0.3');
    assert.equal(env.WEBAPP_SERVICE_HOST, '127.16.3.3');
    assert.equal(env.HTTPBIN_SERVICE_HOST, undefined, 'only services of the pod’s namespace get variables');
  });

  it('turns seed 004’s HOST=0.0.0.0 into the pod’s listen address', () => {
    const { env } = buildContainerEnv({ name: 'myapp', image: 'rlawnsdud/demo', env: [{ name: 'HOST', value: '0.0.0.0' }, { name: 'APP_NAME', value: 'otherapp' }] }, context());
    assert.equal(env.HOST, '127.2.0.3');
    assert.equal(env.APP_NAME, 'otherapp');
  });

  it('rewrites args but not the program', () => {
    const ctx = context();
    const argv = rewriteArgs(['catalog', '--upstream', 'http://catalog.istioinaction', '--bind', '0.0.0.0:9000', '$(CATALOG_SERVICE_PORT)'], { CATALOG_SERVICE_PORT: '80' }, ctx);
    assert.deepEqual(argv, ['catalog', '--upstream', 'http://127.16.3.2', '--bind', '127.2.0.3:9000', '80']);
  });
});
