// Test helpers: YAML text → ConfigObject[] through the config store's own parser
// (parseConfigText: validated, metadata defaulted, source file:line), so these tests
// see exactly what the registry gets in production. `rawObjectsFromYaml` skips
// validation, for feeding the registry input the store would have rejected.
import { LineCounter, parseAllDocuments } from 'yaml';
import type { ConfigObject, Kind } from '../../../src/api/istio/types.js';
import { parseConfigText } from '../../../src/discovery/config/index.js';
import type { LocalPod } from '../../../src/discovery/registry/index.js';

const CLUSTER_SCOPED = new Set(['Namespace', 'Node']);
const BODY_KINDS = new Set(['Endpoints', 'EndpointSlice']);

/** Parses with the config store; any error in the text fails the test that wrote it. */
export function objectsFromYaml(text: string, file = 'test.yaml'): ConfigObject[] {
  const { objects, issues } = parseConfigText(text, file);
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length > 0) throw new Error(`test YAML does not validate:\n${errors.map((i) => `${i.file}:${i.line}: ${i.message}`).join('\n')}`);
  return objects;
}

/** Shapes objects as the store does, without validating them. */
export function rawObjectsFromYaml(text: string, file = 'test.yaml'): ConfigObject[] {
  const lines = new LineCounter();
  const out: ConfigObject[] = [];
  for (const doc of parseAllDocuments(text, { lineCounter: lines })) {
    const value = doc.toJS() as Record<string, any> | null;
    if (!value || typeof value !== 'object') continue;
    const { apiVersion, kind, metadata = {}, ...rest } = value;
    const offset = doc.contents?.range?.[0] ?? 0;
    out.push({
      apiVersion,
      kind: kind as Kind,
      metadata: {
        name: metadata.name,
        namespace: metadata.namespace ?? (CLUSTER_SCOPED.has(kind) ? '' : 'default'),
        labels: metadata.labels ?? {},
        annotations: metadata.annotations ?? {},
      },
      spec: (BODY_KINDS.has(kind) ? rest : (rest.spec ?? {})) as never,
      source: { file, line: lines.linePos(offset).line },
    });
  }
  return out;
}

export function pod(name: string, namespace: string, index: number, labels: Record<string, string>, extra: Partial<LocalPod> = {}): LocalPod {
  return { name, namespace, index, labels, serviceAccount: 'default', namedPorts: {}, healthy: true, ...extra };
}

/** Seed 003's coolstore (chapter 4): namespace, webapp and catalog, the gateway and its VirtualService. */
export const COOLSTORE = `
apiVersion: v1
kind: Namespace
metadata:
  name: istioinaction
  labels: { istio-injection: enabled }
---
apiVersion: v1
kind: Service
metadata: { name: webapp, namespace: istioinaction, labels: { app: webapp } }
spec:
  selector: { app: webapp }
  ports:
  - name: http
    port: 80
    targetPort: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: webapp, namespace: istioinaction, labels: { app: webapp } }
spec:
  replicas: 1
  selector: { matchLabels: { app: webapp } }
  template:
    metadata: { labels: { app: webapp } }
    spec:
      serviceAccountName: webapp
      containers:
      - name: webapp
        image: istioinaction/webapp:latest
        ports: [{ containerPort: 8080, name: http }]
---
apiVersion: v1
kind: Service
metadata: { name: catalog, namespace: istioinaction, labels: { app: catalog } }
spec:
  selector: { app: catalog }
  ports:
  - name: http
    port: 80
    targetPort: 3000
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: catalog, namespace: istioinaction, labels: { app: catalog } }
spec:
  replicas: 2
  selector: { matchLabels: { app: catalog } }
  template:
    metadata: { labels: { app: catalog, version: v1 } }
    spec:
      serviceAccountName: catalog
      containers:
      - name: catalog
        image: istioinaction/catalog:latest
        ports: [{ containerPort: 3000, name: http }]
---
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata: { name: coolstore-gateway, namespace: istioinaction }
spec:
  selector: { istio: ingressgateway }
  servers:
  - port: { number: 80, name: http, protocol: HTTP }
    hosts: [ "webapp.istioinaction.io" ]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: { name: webapp-vs-from-gw, namespace: istioinaction }
spec:
  hosts: [ "webapp.istioinaction.io" ]
  gateways: [ coolstore-gateway ]
  http:
  - route:
    - destination:
        host: webapp
        port: { number: 80 }
`;

export const COOLSTORE_PODS: LocalPod[] = [
  pod('webapp-7b8c9d4f5-abcde', 'istioinaction', 1, { app: 'webapp' }, { serviceAccount: 'webapp', namedPorts: { http: 8080 }, deployment: 'webapp' }),
  pod('catalog-5c7f8d9b6-fghij', 'istioinaction', 2, { app: 'catalog', version: 'v1' }, { serviceAccount: 'catalog', namedPorts: { http: 3000 }, deployment: 'catalog' }),
  pod('catalog-5c7f8d9b6-klmno', 'istioinaction', 3, { app: 'catalog', version: 'v1' }, { serviceAccount: 'catalog', namedPorts: { http: 3000 }, deployment: 'catalog' }),
];
