// The mesh bench/control_plane.mjs translates: S Services, each backed by a
// Deployment of R replicas (the local mesh's pods, LocalPods), spread over a few
// namespaces; V VirtualServices bound to one ingress Gateway; and the default
// ingress gateway's Service and Deployment. Written as YAML files, so the real
// config loader parses them, with one file per VirtualService so that one edit
// rewrites one file (what a user's `kubectl apply` of one object amounts to).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const pad = (i) => String(i).padStart(4, '0');
const nsOf = (i, namespaces) => `ns-${String(i % namespaces).padStart(2, '0')}`;
export const serviceName = (i) => `svc-${pad(i)}`;
export const GATEWAY_LABELS = { app: 'istio-ingressgateway', istio: 'ingressgateway' };

/** Kubernetes-looking pod names: DEPLOYMENT-<replicaset hash>-<suffix>, stable per (i, replica). */
function podName(deployment, i, replica) {
  const h = crypto.createHash('sha256').update(`${deployment}/${i}/${replica}`).digest('hex');
  const letters = (hex, n) => [...hex.slice(0, n)].map((c) => 'bcdfghjklmnpqrstvwxz'[parseInt(c, 16)]).join('');
  return `${deployment}-${letters(h, 9)}-${letters(h.slice(9), 5)}`;
}

function serviceYaml(i, namespaces, replicas) {
  const name = serviceName(i);
  const ns = nsOf(i, namespaces);
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${ns}
  labels: { app: ${name} }
spec:
  selector: { app: ${name} }
  ports:
  - name: http
    port: 80
    targetPort: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: { app: ${name}, version: v1 }
    spec:
      containers:
      - name: app
        image: bench/app
        ports:
        - { name: http, containerPort: 8080 }
`;
}

/**
 * VirtualService i, in service s's namespace: the gateway host route-i.bench.example.com
 * → service s (s = i mod services); `timeoutS` is what an edit changes.
 */
function virtualServiceYaml(i, services, namespaces, timeoutS = 5) {
  const s = i % services;
  const name = serviceName(s);
  const ns = nsOf(s, namespaces);
  return `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: route-${pad(i)}
  namespace: ${ns}
spec:
  hosts: [route-${pad(i)}.bench.example.com]
  gateways: [istio-system/bench-gateway]
  http:
  - match:
    - uri: { prefix: /v2/ }
    timeout: ${timeoutS}s
    route:
    - destination: { host: ${name}.${ns}.svc.cluster.local, port: { number: 80 } }
  - retries: { attempts: 2, perTryTimeout: 1s }
    route:
    - destination: { host: ${name}, port: { number: 80 } }
`;
}

const INGRESS = `apiVersion: v1
kind: Namespace
metadata:
  name: istio-system
---
apiVersion: v1
kind: Service
metadata:
  name: istio-ingressgateway
  namespace: istio-system
  labels: { app: istio-ingressgateway, istio: ingressgateway }
spec:
  selector: { app: istio-ingressgateway, istio: ingressgateway }
  ports:
  - { name: status-port, port: 15021, targetPort: 15021 }
  - { name: http2, port: 80, targetPort: 8080 }
  - { name: https, port: 443, targetPort: 8443 }
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: istio-ingressgateway
  namespace: istio-system
spec:
  replicas: 1
  selector:
    matchLabels: { app: istio-ingressgateway, istio: ingressgateway }
  template:
    metadata:
      labels: { app: istio-ingressgateway, istio: ingressgateway }
    spec:
      containers:
      - name: istio-proxy
        image: docker.io/istio/proxyv2
        ports: [{ containerPort: 8080 }, { containerPort: 8443 }, { containerPort: 15021 }]
---
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata:
  name: bench-gateway
  namespace: istio-system
spec:
  selector: { istio: ingressgateway }
  servers:
  - port: { number: 80, name: http, protocol: HTTP }
    hosts: ["*.bench.example.com"]
`;

/**
 * Writes the folder; returns { pods, gatewayNode(k), sidecarNode(k), editVirtualService(),
 * scaleOne() }: pods are LocalPods (gateway pod first, index 1, then every
 * Deployment's replicas), nodes are xDS nodes as skein's pods send them.
 */
export function writeMesh(dir, { services, virtualServices, namespaces, replicas }) {
  fs.mkdirSync(path.join(dir, 'services'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'virtualservices'), { recursive: true });
  const nsYaml = Array.from({ length: namespaces }, (_, k) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${nsOf(k, namespaces)}\n  labels: { istio-injection: enabled }\n`);
  fs.writeFileSync(path.join(dir, 'namespaces.yaml'), nsYaml.join('---\n'));
  fs.writeFileSync(path.join(dir, 'ingress.yaml'), INGRESS);
  for (let k = 0; k < namespaces; k++) {
    const docs = [];
    for (let i = k; i < services; i += namespaces) docs.push(serviceYaml(i, namespaces, replicas));
    fs.writeFileSync(path.join(dir, 'services', `${nsOf(k, namespaces)}.yaml`), docs.join('---\n'));
  }
  const vsFile = (i) => path.join(dir, 'virtualservices', `vs-${pad(i)}.yaml`);
  for (let i = 0; i < virtualServices; i++) fs.writeFileSync(vsFile(i), virtualServiceYaml(i, services, namespaces));

  const pods = [{ name: podName('istio-ingressgateway', 0, 0), namespace: 'istio-system', index: 1, labels: { ...GATEWAY_LABELS }, serviceAccount: 'default', namedPorts: {}, healthy: true, deployment: 'istio-ingressgateway' }];
  const appPod = (i, r, index) => ({
    name: podName(serviceName(i), i, r),
    namespace: nsOf(i, namespaces),
    index,
    labels: { app: serviceName(i), version: 'v1' },
    serviceAccount: 'default',
    namedPorts: { http: 8080 },
    healthy: true,
    deployment: serviceName(i),
  });
  let next = 2;
  for (let i = 0; i < services; i++) for (let r = 0; r < replicas; r++) pods.push(appPod(i, r, next++));
  const appPods = pods.slice(1);

  const ip = (index) => `127.1.${index >> 8}.${index & 255}`;
  const node = (type, pod) => ({
    id: `${type}~${ip(pod.index)}~${pod.name}.${pod.namespace}~${pod.namespace}.svc.cluster.local`,
    cluster: `${pod.deployment}.${pod.namespace}`,
    metadata: {
      LABELS: pod.labels,
      NAMESPACE: pod.namespace,
      INSTANCE_IPS: ip(pod.index),
      WORKLOAD_NAME: pod.deployment,
      ISTIO_VERSION: 'bench',
      ...(type === 'sidecar' ? { SKEIN_APP_ADDRESS: `127.2.${pod.index >> 8}.${pod.index & 255}` } : {}),
    },
  });
  let edits = 0;
  let scaled = false;
  const target = Math.floor(services / 2);
  const targetVs = Math.floor(virtualServices / 2);
  return {
    pods,
    /** k-th gateway proxy: replicas of the one ingress gateway pod (same labels and namespace, own id). */
    gatewayNode: (k) => node('router', { ...pods[0], name: k === 0 ? pods[0].name : `${pods[0].name}-${k}`, index: 1 }),
    /** k-th sidecar: the k-th app pod's own sidecar. */
    sidecarNode: (k) => node('sidecar', appPods[k % appPods.length]),
    /** Rewrites the middle VirtualService's file with a new timeout; returns the time just before the write. */
    editVirtualService() {
      const text = virtualServiceYaml(targetVs, services, namespaces, 6 + (edits++ % 50));
      const at = performance.timeOrigin + performance.now();
      fs.writeFileSync(vsFile(targetVs), text);
      return at;
    },
    /** The pods with the middle Deployment scaled to replicas + 1, then back on the next call (one endpoint more, or less). */
    scaleOne() {
      scaled = !scaled;
      return scaled ? [...pods, appPod(target, replicas, next)] : pods;
    },
  };
}
