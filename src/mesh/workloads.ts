// Which Deployments the local mesh runs, and as what: a sidecar-injected pod (app plus
// `skein proxy` sidecar), a gateway pod (`skein proxy` as router, no app), or a plain
// pod (the app alone). The injection decision follows Istio's table: the namespace
// label istio-injection=enabled (or an istio.io/rev label) turns it on, the pod's
// sidecar.istio.io/inject label or annotation overrides it ("false" always wins, "true"
// injects in an unlabelled namespace), and istio-injection=disabled turns it off.
import type { ConfigObject, ContainerSpec } from '../api/istio/types.js';
import { imageRepository } from './images.js';
import { templateHash } from './pod_names.js';

export type PodKind = 'sidecar' | 'gateway' | 'plain';

export interface WorkloadPlan {
  /** "istioinaction/webapp" */
  key: string;
  name: string;
  namespace: string;
  kind: PodKind;
  replicas: number;
  /** The ReplicaSet part of pod names. */
  hash: string;
  /** Template labels, plus the labels Istio's injector adds (canonical name/revision, tlsMode). */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  serviceAccount: string;
  containers: ContainerSpec[];
  /** Container ports by name (for named targetPorts). */
  namedPorts: Record<string, number>;
  /** Every declared container port: the app is ready when each accepts connections. */
  containerPorts: ContainerSpec['ports'] & object;
  /** The folder of the YAML that defined it: the default working directory. */
  sourceDir: string;
  deployment: ConfigObject<'Deployment'>;
}

const GATEWAY_LABELS = ['ingressgateway', 'egressgateway'];
const INJECT = 'sidecar.istio.io/inject';

/** A Deployment runs as a gateway when it is labelled like one or its proxy is told to be a router. */
export function isGatewayDeployment(d: ConfigObject<'Deployment'>): boolean {
  const labels = d.spec.template.metadata?.labels ?? {};
  if (GATEWAY_LABELS.includes(labels.istio ?? '')) return true;
  if (d.spec.template.metadata?.annotations?.['inject.istio.io/templates'] === 'gateway') return true;
  // Istio's gateway charts run the proxyv2 image as `proxy router`
  return d.spec.template.spec.containers.some((c) => {
    const repo = c.image ? imageRepository(c.image) : '';
    return /(^|\/)proxyv2$/.test(repo) && c.args?.[0] === 'proxy' && c.args[1] === 'router';
  });
}

/** Istio's injection decision for one pod template in a namespace with these labels. */
export function wantsSidecar(namespaceLabels: Record<string, string>, podLabels: Record<string, string>, podAnnotations: Record<string, string>): boolean {
  const pod = podLabels[INJECT] ?? podAnnotations[INJECT];
  if (pod === 'false') return false;
  const ns = namespaceLabels['istio-injection'];
  if (ns === 'disabled') return false;
  if (ns === 'enabled' || namespaceLabels['istio.io/rev'] !== undefined) return true;
  return pod === 'true';
}

export function planWorkloads(objects: readonly ConfigObject[], pathDirname: (file: string) => string): WorkloadPlan[] {
  const nsLabels = new Map<string, Record<string, string>>();
  for (const o of objects) if (o.kind === 'Namespace') nsLabels.set(o.metadata.name, o.metadata.labels ?? {});
  const plans: WorkloadPlan[] = [];
  for (const o of objects) {
    if (o.kind !== 'Deployment') continue;
    const d = o as ConfigObject<'Deployment'>;
    const { name, namespace } = d.metadata;
    const template = d.spec.template;
    const templateLabels = template.metadata?.labels ?? {};
    const annotations = template.metadata?.annotations ?? {};
    const kind: PodKind = isGatewayDeployment(d)
      ? 'gateway'
      : wantsSidecar(nsLabels.get(namespace) ?? {}, templateLabels, annotations) ? 'sidecar' : 'plain';
    const labels = { ...templateLabels };
    if (kind !== 'plain') {
      labels['service.istio.io/canonical-name'] ??= templateLabels['app.kubernetes.io/name'] ?? templateLabels.app ?? name;
      labels['service.istio.io/canonical-revision'] ??= templateLabels['app.kubernetes.io/version'] ?? templateLabels.version ?? 'latest';
    }
    if (kind === 'sidecar') labels['security.istio.io/tlsMode'] ??= 'istio';
    const containers = template.spec.containers;
    const ports = containers.flatMap((c) => c.ports ?? []);
    const namedPorts: Record<string, number> = {};
    for (const p of ports) if (p.name) namedPorts[p.name] = p.containerPort;
    plans.push({
      key: `${namespace}/${name}`,
      name,
      namespace,
      kind,
      replicas: d.spec.replicas ?? 1,
      hash: templateHash(template),
      labels,
      annotations,
      serviceAccount: template.spec.serviceAccountName || template.spec.serviceAccount || 'default',
      containers,
      namedPorts,
      containerPorts: ports,
      sourceDir: pathDirname(d.source.file),
      deployment: d,
    });
  }
  // gateways first (they take the lowest pod IPs, as the first thing installed), then by namespace and name
  const rank = (p: WorkloadPlan) => (p.kind === 'gateway' ? 0 : 1);
  return plans.sort((a, b) => rank(a) - rank(b) || a.key.localeCompare(b.key));
}

/** True when the folder brings its own ingress gateway (then the default one is not added). */
export function definesIngressGateway(objects: readonly ConfigObject[]): boolean {
  return objects.some((o) => {
    if (o.kind !== 'Deployment') return false;
    const d = o as ConfigObject<'Deployment'>;
    return d.metadata.labels?.istio === 'ingressgateway' || d.spec.template.metadata?.labels?.istio === 'ingressgateway';
  });
}
