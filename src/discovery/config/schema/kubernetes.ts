// Schemas of the core Kubernetes objects the mesh reads. Kubernetes manifests carry
// many fields the mesh has no use for (resources, securityContext, volumes, ...);
// those are accepted as written (`any()`) so real manifests load unchanged, and a
// misspelling of a field the mesh does use is still caught with "did you mean".
import { any, base64, bool, int, intOrString, list, map, obj, oneOf, port, req, str, stringMap, type Schema } from './engine.js';
import { notEmpty } from './istio_networking.js';

/** Fields Kubernetes fills in or tools add, meaningless to the mesh: accepted anywhere in metadata. */
const IGNORED_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'ownerReferences',
  'finalizers',
  'generateName',
  'selfLink',
];

const ignored = (names: readonly string[]): Record<string, Schema> => Object.fromEntries(names.map((n) => [n, any()]));

export const objectMeta = obj({ name: req(str()), namespace: str(), labels: stringMap(), annotations: stringMap(), ...ignored(IGNORED_METADATA) });

const protocol = oneOf(['TCP', 'UDP', 'SCTP']);
const targetRef = obj({ kind: str(), name: str(), namespace: str(), ...ignored(['uid', 'resourceVersion', 'apiVersion', 'fieldPath']) });

// ---------------------------------------------------------------- Service

const servicePort = obj({ name: str(), port: req(port()), targetPort: intOrString(), nodePort: port(), protocol, appProtocol: str() });

export const serviceSpec = obj(
  {
    type: oneOf(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']),
    selector: stringMap(),
    ports: list(servicePort),
    clusterIP: str(),
    externalName: str(),
    ...ignored([
      'clusterIPs',
      'externalIPs',
      'sessionAffinity',
      'sessionAffinityConfig',
      'loadBalancerIP',
      'loadBalancerSourceRanges',
      'loadBalancerClass',
      'externalTrafficPolicy',
      'internalTrafficPolicy',
      'ipFamilies',
      'ipFamilyPolicy',
      'publishNotReadyAddresses',
      'healthCheckNodePort',
      'allocateLoadBalancerNodePorts',
      'trafficDistribution',
    ]),
  },
  {
    check(spec, report) {
      const ports = (spec.ports as { name?: string; port: number; protocol?: string }[] | undefined) ?? [];
      const names = new Set<string>();
      const numbers = new Set<string>();
      ports.forEach((p, i) => {
        // As the API server does: several ports need names, and names and port/protocol pairs are unique.
        if (ports.length > 1 && !p.name) report.error('a Service with several ports must name each of them', 'ports', i);
        if (p.name && names.has(p.name)) report.error(`duplicate port name "${p.name}"`, 'ports', i, 'name');
        const key = `${p.port}/${p.protocol ?? 'TCP'}`;
        if (numbers.has(key)) report.error(`duplicate port ${key}`, 'ports', i, 'port');
        if (p.name) names.add(p.name);
        numbers.add(key);
      });
      if (spec.type === 'ExternalName' && !spec.externalName) report.error('a Service of type ExternalName needs spec.externalName', 'type');
    },
  },
);

// ---------------------------------------------------------------- Deployment

const container = obj({
  name: req(str(notEmpty)),
  image: str(),
  command: list(str()),
  args: list(str()),
  env: list(obj({ name: req(str(notEmpty)), value: str(), valueFrom: any() })),
  ports: list(obj({ containerPort: req(port()), name: str(), protocol, hostPort: any(), hostIP: any() })),
  readinessProbe: any(),
  livenessProbe: any(),
  workingDir: str(),
  ...ignored([
    'imagePullPolicy',
    'resources',
    'securityContext',
    'volumeMounts',
    'volumeDevices',
    'envFrom',
    'lifecycle',
    'startupProbe',
    'stdin',
    'stdinOnce',
    'tty',
    'terminationMessagePath',
    'terminationMessagePolicy',
    'resizePolicy',
    'restartPolicy',
  ]),
});

const IGNORED_POD_SPEC = [
  'volumes',
  'initContainers',
  'ephemeralContainers',
  'nodeSelector',
  'nodeName',
  'affinity',
  'tolerations',
  'securityContext',
  'imagePullSecrets',
  'restartPolicy',
  'terminationGracePeriodSeconds',
  'activeDeadlineSeconds',
  'dnsPolicy',
  'dnsConfig',
  'hostNetwork',
  'hostPID',
  'hostIPC',
  'hostUsers',
  'hostname',
  'subdomain',
  'hostAliases',
  'priorityClassName',
  'priority',
  'preemptionPolicy',
  'automountServiceAccountToken',
  'schedulerName',
  'topologySpreadConstraints',
  'enableServiceLinks',
  'shareProcessNamespace',
  'runtimeClassName',
  'overhead',
  'readinessGates',
  'os',
  'setHostnameAsFQDN',
  'schedulingGates',
  'resourceClaims',
];

export const deploymentSpec = obj(
  {
    replicas: int(0),
    selector: obj({ matchLabels: stringMap(), matchExpressions: any() }),
    template: req(
      obj({
        metadata: obj({ labels: stringMap(), annotations: stringMap(), ...ignored(['name', 'namespace', ...IGNORED_METADATA]) }),
        spec: req(obj({ containers: req(list(container, true)), serviceAccountName: str(), serviceAccount: str(), ...ignored(IGNORED_POD_SPEC) })),
      }),
    ),
    ...ignored(['strategy', 'minReadySeconds', 'revisionHistoryLimit', 'progressDeadlineSeconds', 'paused']),
  },
  {
    check(spec, report) {
      const wanted = (spec.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ?? {};
      const labels = (spec.template as { metadata?: { labels?: Record<string, string> } }).metadata?.labels ?? {};
      const missing = Object.entries(wanted).filter(([k, v]) => labels[k] !== v);
      if (missing.length) {
        report.error(`selector does not match template labels (template lacks ${missing.map(([k, v]) => `${k}=${v}`).join(', ')})`, 'selector');
      }
    },
  },
);

// ---------------------------------------------------------------- Endpoints, EndpointSlice

const endpointAddress = obj({ ip: req(str(notEmpty)), hostname: str(), nodeName: str(), targetRef });
const endpointPort = obj({ name: str(), port: req(port()), protocol, appProtocol: str() });

export const endpointsBody = {
  subsets: list(obj({ addresses: list(endpointAddress), notReadyAddresses: list(endpointAddress), ports: list(endpointPort) })),
};

export const endpointSliceBody = {
  addressType: req(oneOf(['IPv4', 'IPv6', 'FQDN'])),
  endpoints: list(
    obj({
      addresses: req(list(str(notEmpty), true)),
      conditions: obj({ ready: bool(), serving: bool(), terminating: bool() }),
      nodeName: str(),
      zone: str(),
      targetRef,
      ...ignored(['hostname', 'hints', 'deprecatedTopology']),
    }),
  ),
  ports: list(endpointPort),
};

// ---------------------------------------------------------------- Secret and the rest

export const secretBody = { type: str(), data: map(base64()), stringData: stringMap(), immutable: any() };
export const serviceAccountBody = ignored(['secrets', 'imagePullSecrets', 'automountServiceAccountToken']);
