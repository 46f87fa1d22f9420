// What a pod's processes are: for each app container the program, its environment and
// its readiness check; for injected pods and gateways the `skein proxy` with a
// pilot-agent style bootstrap written into the pod's run folder. Pure apart from
// creating that folder and writing the bootstrap.
import fs from 'node:fs';
import path from 'node:path';
import type { ConfigObject } from '../api/istio/types.js';
import { appAddress as appAddressOf, serviceViewAddress } from '../discovery/model/local_addresses.js';
import type { PushContext } from '../discovery/model/types.js';
import { ADMIN_PORT, proxyBootstrap } from './bootstrap.js';
import { appCommand, SKEIN_ARGV } from './images.js';
import type { ContainerLaunch, PodIdentityInfo } from './pod.js';
import { buildContainerEnv, rewriteArgs, type PodIdentity, type ServiceView } from './pod_env.js';
import { httpProbe, tcpProbe } from './probes.js';

export interface LaunchContext {
  push: PushContext;
  xdsPort: number;
  /** Where pods' folders go: <runDir>/pods/<ns>/<pod>/. */
  runDir: string;
  domainSuffix: string;
  clusterId: string;
  trustDomain: string;
  secrets: ReadonlyMap<string, ConfigObject<'Secret'>>;
  nodeName: string;
  baseEnv: Readonly<Record<string, string | undefined>>;
}

export interface PodLaunchPlan {
  launches: ContainerLaunch[];
  /** Where the app listens: the app address with a sidecar, else the pod IP. */
  listenAddress: string;
  /** The services this pod reaches by its own addresses (for plain pods' forwarders). */
  views: ServiceView[];
  warnings: string[];
  dir: string;
}

export function podDir(runDir: string, namespace: string, pod: string): string {
  return path.join(runDir, 'pods', namespace, pod);
}

/** Kubernetes services visible from the pod's namespace, at this pod's own addresses. */
export function serviceViews(push: PushContext, podIndex: number, namespace: string): ServiceView[] {
  return push
    .servicesVisibleFrom(namespace)
    .filter((s) => s.origin === 'Kubernetes' && s.localIndex > 0 && s.serviceType !== 'ExternalName')
    .map((s) => ({ name: s.name, namespace: s.namespace, ports: s.ports, address: serviceViewAddress(podIndex, s.localIndex) }));
}

export function planPodLaunch(pod: PodIdentityInfo, ctx: LaunchContext): PodLaunchPlan {
  const { plan } = pod;
  const dir = podDir(ctx.runDir, pod.namespace, pod.name);
  fs.mkdirSync(dir, { recursive: true });
  const withSidecar = plan.kind === 'sidecar';
  const listenAddress = withSidecar ? appAddressOf(pod.index) : pod.podIp;
  const views = plan.kind === 'gateway' ? [] : serviceViews(ctx.push, pod.index, pod.namespace);
  const launches: ContainerLaunch[] = [];
  const warnings: string[] = [];

  if (plan.kind !== 'gateway') {
    const identity: PodIdentity = {
      name: pod.name,
      namespace: pod.namespace,
      listenAddress,
      podIp: pod.podIp,
      serviceAccount: plan.serviceAccount,
      labels: plan.labels,
      annotations: plan.annotations,
      nodeName: ctx.nodeName,
      uid: `${pod.namespace}-${pod.name}`,
    };
    const envCtx = {
      pod: identity,
      namespaceServices: views.filter((v) => v.namespace === pod.namespace),
      reachable: views,
      domainSuffix: ctx.domainSuffix,
      secrets: ctx.secrets,
      base: ctx.baseEnv,
    };
    for (const container of plan.containers) {
      const built = buildContainerEnv(container, envCtx);
      warnings.push(...built.warnings);
      // throws AppCommandError for an image it cannot run: the caller fails the pod
      const command = appCommand(container, listenAddress, built.env);
      const argv = command.builtin ? command.argv : rewriteArgs(command.argv, built.env, envCtx);
      const declared = (container.ports ?? []).map((p) => p.containerPort);
      const ports = declared.length > 0 ? declared : command.port ? [command.port] : [];
      const cwd = container.workingDir ? path.resolve(plan.sourceDir, container.workingDir) : plan.sourceDir;
      launches.push({
        spec: { name: container.name, argv, env: built.env, cwd, logFile: path.join(dir, `${container.name}.log`) },
        ready: async () => (await Promise.all(ports.map((p) => tcpProbe(listenAddress, p)))).every(Boolean),
      });
    }
  }

  if (plan.kind !== 'plain') {
    const bootstrap = proxyBootstrap({
      type: plan.kind === 'gateway' ? 'router' : 'sidecar',
      podName: pod.name,
      namespace: pod.namespace,
      podIp: pod.podIp,
      labels: plan.labels,
      annotations: plan.annotations,
      deployment: plan.name,
      serviceAccount: plan.serviceAccount,
      appAddress: withSidecar ? listenAddress : undefined,
      appContainers: plan.kind === 'sidecar' ? plan.containers.map((c) => c.name) : undefined,
      containerPorts: plan.containerPorts,
      xdsPort: ctx.xdsPort,
      clusterId: ctx.clusterId,
      trustDomain: ctx.trustDomain,
      domainSuffix: ctx.domainSuffix,
    });
    const bootstrapFile = path.join(dir, 'envoy-rev.json');
    fs.writeFileSync(bootstrapFile, JSON.stringify(bootstrap, null, 2) + '\n');
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(ctx.baseEnv)) if (v !== undefined) env[k] = v;
    launches.push({
      spec: {
        name: 'istio-proxy',
        argv: [...SKEIN_ARGV, 'proxy', '-c', bootstrapFile, '--pod-ip', pod.podIp, '--concurrency', '1', '--drain-time-s', '2', '--local-address-ip-version', 'v4'],
        env,
        cwd: dir,
        logFile: path.join(dir, 'istio-proxy.log'),
      },
      ready: () => httpProbe(pod.podIp, ADMIN_PORT, '/ready'),
    });
  }
  return { launches, listenAddress, views, warnings, dir };
}
