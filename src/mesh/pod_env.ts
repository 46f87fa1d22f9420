// A pod's environment in the local mesh, built the way the kubelet builds a container's:
// Kubernetes service variables for the services of the pod's namespace, then the
// container's own `env` (valueFrom resolved, $(VAR) expanded). Two local-mesh rules
// stand in for what a pod's network namespace and cluster DNS would do:
//
//  - a wildcard listen address (0.0.0.0, ::) in env or args means "every address of
//    this pod", which here is its app address, so it is rewritten to that address;
//  - a Kubernetes service name (catalog.istioinaction, ...svc.cluster.local), alone or
//    as the host of a URL / host:port, is rewritten to this pod's address for that
//    service (its "service view", where its sidecar listens for the service), since
//    there is no DNS to resolve it. A short name ("catalog") is only rewritten as a
//    URL host or in host:port, where it cannot be a plain word.
import type { ConfigObject, ContainerSpec } from '../api/istio/types.js';
import type { ServicePort } from '../discovery/model/types.js';

/** One service as one pod sees it. */
export interface ServiceView {
  name: string;
  namespace: string;
  ports: readonly ServicePort[];
  /** This pod's address for the service. */
  address: string;
}

export interface PodIdentity {
  name: string;
  namespace: string;
  /** Where the app listens: the app address (with a sidecar) or the pod IP (without). */
  listenAddress: string;
  /** The pod IP (what endpoints publish). */
  podIp: string;
  serviceAccount: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  nodeName: string;
  uid: string;
}

export interface EnvContext {
  pod: PodIdentity;
  /** Services of the pod's own namespace: these get *_SERVICE_HOST variables. */
  namespaceServices: readonly ServiceView[];
  /** Every service the pod can reach by name (for name rewriting). */
  reachable: readonly ServiceView[];
  domainSuffix: string;
  /** Secrets, for valueFrom.secretKeyRef ("ns/name" → object). */
  secrets?: ReadonlyMap<string, ConfigObject<'Secret'>>;
  /** The mesh's own environment (PATH, HOME, ...), inherited underneath everything. */
  base?: Readonly<Record<string, string | undefined>>;
}

export interface BuiltEnv {
  env: Record<string, string>;
  /** Problems that did not stop the pod (an unresolvable valueFrom). */
  warnings: string[];
}

const envName = (s: string) => s.toUpperCase().replace(/-/g, '_');

/** The variables the kubelet sets for each service (the docker-links style ones too). */
export function kubernetesServiceEnv(services: readonly ServiceView[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const svc of [...services].sort((a, b) => a.name.localeCompare(b.name))) {
    if (svc.ports.length === 0) continue;
    const prefix = envName(svc.name);
    const first = svc.ports[0]!;
    env[`${prefix}_SERVICE_HOST`] = svc.address;
    env[`${prefix}_SERVICE_PORT`] = String(first.port);
    env[`${prefix}_PORT`] = `tcp://${svc.address}:${first.port}`;
    for (const p of svc.ports) {
      if (p.name) env[`${prefix}_SERVICE_PORT_${envName(p.name)}`] = String(p.port);
      const link = `${prefix}_PORT_${p.port}_TCP`;
      env[link] = `tcp://${svc.address}:${p.port}`;
      env[`${link}_PROTO`] = 'tcp';
      env[`${link}_PORT`] = String(p.port);
      env[`${link}_ADDR`] = svc.address;
    }
  }
  return env;
}

/** Service names → this pod's address for them: every DNS form Kubernetes answers. */
export function serviceNameTable(ctx: Pick<EnvContext, 'pod' | 'reachable' | 'domainSuffix'>): Map<string, string> {
  const table = new Map<string, string>();
  for (const svc of ctx.reachable) {
    const fq = `${svc.name}.${svc.namespace}`;
    for (const n of [fq, `${fq}.svc`, `${fq}.svc.${ctx.domainSuffix}`]) table.set(n, svc.address);
  }
  // short names resolve in the pod's own namespace (its resolv.conf search path)
  for (const svc of ctx.reachable) if (svc.namespace === ctx.pod.namespace) table.set(svc.name, svc.address);
  return table;
}

const WILDCARD = /^(0\.0\.0\.0|::|\[::\])(:\d+)?$/;
// a host at the start of the value, after "//" or "@", followed by the end, a port or a path
const HOST_TOKEN = /(^|\/\/|@)([A-Za-z0-9][A-Za-z0-9.-]*)(?=$|[:/?#])/g;

/** Applies the two local-mesh rewrites (wildcard address, service names) to one value. */
export function rewriteValue(value: string, listenAddress: string, names: ReadonlyMap<string, string>): string {
  const wildcard = WILDCARD.exec(value);
  if (wildcard) return listenAddress + (wildcard[2] ?? '');
  return value.replace(HOST_TOKEN, (whole: string, lead: string, host: string, offset: number, all: string) => {
    const addr = names.get(host.toLowerCase().replace(/\.$/, ''));
    if (!addr) return whole;
    // A bare short name ("otherapp") is as likely a plain word (APP_NAME=otherapp, a
    // subcommand) as a host: only rewrite it where it can only be a host — a URL's
    // host or host:port.
    const shortName = !host.includes('.');
    const hasPort = /^:\d/.test(all.slice(offset + whole.length));
    return shortName && lead === '' && !hasPort ? whole : lead + addr;
  });
}

/** Kubernetes' $(VAR) expansion: known variables are replaced, $$ escapes, unknown ones stay. */
export function expandVars(value: string, vars: Readonly<Record<string, string>>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name: string | undefined) => {
    if (name === undefined) return '$';
    return Object.prototype.hasOwnProperty.call(vars, name) ? vars[name]! : whole;
  });
}

/** The downward API (fieldRef) and secretKeyRef; undefined when it cannot be resolved here. */
function resolveValueFrom(valueFrom: unknown, ctx: EnvContext): string | undefined {
  const vf = (valueFrom ?? {}) as {
    fieldRef?: { fieldPath?: string };
    secretKeyRef?: { name?: string; key?: string };
    resourceFieldRef?: { resource?: string };
  };
  const pod = ctx.pod;
  if (vf.fieldRef?.fieldPath) {
    const field = vf.fieldRef.fieldPath;
    const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(field);
    if (keyed) return (keyed[1] === 'labels' ? pod.labels : pod.annotations)[keyed[2]!];
    switch (field) {
      case 'metadata.name': return pod.name;
      case 'metadata.namespace': return pod.namespace;
      case 'metadata.uid': return pod.uid;
      case 'spec.nodeName': return pod.nodeName;
      case 'spec.serviceAccountName': return pod.serviceAccount;
      // the address the app should use as its own: where it listens
      case 'status.podIP': case 'status.podIPs': return pod.listenAddress;
      case 'status.hostIP': case 'status.hostIPs': return '127.0.0.1';
      default: return undefined;
    }
  }
  if (vf.secretKeyRef?.name && vf.secretKeyRef.key) {
    const secret = ctx.secrets?.get(`${pod.namespace}/${vf.secretKeyRef.name}`);
    return secret?.spec.data[vf.secretKeyRef.key]?.toString('utf8');
  }
  if (vf.resourceFieldRef?.resource) return '0';
  return undefined;
}

/** The container's environment: inherited, pod, service, then its own `env` (last wins). */
export function buildContainerEnv(container: ContainerSpec, ctx: EnvContext): BuiltEnv {
  const warnings: string[] = [];
  const names = serviceNameTable(ctx);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.base ?? {})) if (v !== undefined) env[k] = v;
  Object.assign(env, {
    HOSTNAME: ctx.pod.name,
    HOST: ctx.pod.listenAddress,
    POD_NAME: ctx.pod.name,
    POD_NAMESPACE: ctx.pod.namespace,
    POD_IP: ctx.pod.listenAddress,
    SKEIN_POD_IP: ctx.pod.podIp,
    SKEIN_APP_ADDRESS: ctx.pod.listenAddress,
  });
  const defined: Record<string, string> = kubernetesServiceEnv(ctx.namespaceServices);
  for (const item of container.env ?? []) {
    let value: string | undefined;
    if (item.value !== undefined) value = expandVars(String(item.value), defined);
    else if (item.valueFrom !== undefined) {
      value = resolveValueFrom(item.valueFrom, ctx);
      if (value === undefined) warnings.push(`container "${container.name}": env ${item.name}: valueFrom ${JSON.stringify(item.valueFrom)} cannot be resolved in the local mesh; left unset`);
    } else value = '';
    if (value !== undefined) defined[item.name] = rewriteValue(value, ctx.pod.listenAddress, names);
  }
  Object.assign(env, defined);
  return { env, warnings };
}

/** command/args after $(VAR) expansion and the local-mesh rewrites (the program itself untouched). */
export function rewriteArgs(argv: readonly string[], env: Readonly<Record<string, string>>, ctx: Pick<EnvContext, 'pod' | 'reachable' | 'domainSuffix'>): string[] {
  const names = serviceNameTable(ctx);
  return argv.map((a, i) => (i === 0 ? a : rewriteValue(expandVars(a, env), ctx.pod.listenAddress, names)));
}
