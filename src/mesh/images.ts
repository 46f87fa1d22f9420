// What runs as a container's process in the local mesh. A container with a `command`
// runs that program (its `args` appended), with `skein` meaning this repository's
// bin/skein. A container without one runs its image's entrypoint — which the local
// mesh only knows for the images of the book and the seeds: those map to skein's
// built-in test services, told to listen where the pod's app must listen.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ContainerSpec } from '../api/istio/types.js';

/** `node bin/skein`: how the mesh starts skein itself (sidecars, gateways, built-ins). */
export const SKEIN_ARGV: readonly string[] = [
  process.execPath,
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'skein'),
];

export class AppCommandError extends Error {}

export interface AppCommand {
  argv: string[];
  /** The built-in service an image was mapped to, if it was, and the port it listens on. */
  builtin?: string;
  port?: number;
}

interface BuiltinImage {
  repositories: string[];
  builtin: string;
  defaultPort: number;
  /** The port the real image listens on, read from the same settings it reads. */
  imagePort?(c: ContainerSpec, env: Readonly<Record<string, string>>): string | undefined;
  /** More flags for the built-in, translated from the image's own settings. */
  extraArgs?(c: ContainerSpec, env: Readonly<Record<string, string>>): string[];
}

const flagValue = (args: readonly string[] | undefined, flag: string): string | undefined => {
  const i = args?.findIndex((a) => a === flag || a === `-${flag}`) ?? -1;
  return i >= 0 ? args![i + 1] : undefined;
};

/** The images the book and the seeds deploy, and the built-in service standing in for each. */
export const BUILTIN_IMAGES: readonly BuiltinImage[] = [
  { repositories: ['istioinaction/catalog', 'rinormaloku/catalog'], builtin: 'catalog', defaultPort: 3000 },
  { repositories: ['istioinaction/webapp', 'rinormaloku/webapp'], builtin: 'webapp', defaultPort: 8080 },
  { repositories: ['kennethreitz/httpbin', 'kong/httpbin', 'citizenstig/httpbin'], builtin: 'httpbin', defaultPort: 80 },
  // go-httpbin: `-port N` or $PORT (the seed runs it with PORT=8000), else 8080
  { repositories: ['mccutchen/go-httpbin'], builtin: 'httpbin', defaultPort: 8080, imagePort: (c, env) => flagValue(c.args, '-port') ?? env.PORT },
  // Istio's tcp-echo-server: args "PORT[,PORT...]" "PREFIX"
  {
    repositories: ['istio/tcp-echo-server'],
    builtin: 'tcp-echo',
    defaultPort: 9000,
    imagePort: (c) => c.args?.[0]?.split(',')[0],
    extraArgs: (c) => (c.args?.[1] ? ['--prefix', c.args[1]] : []),
  },
  // the book's ch4/echo.yaml: cjimti/go-echo with TCP_PORT=2701
  { repositories: ['cjimti/go-echo'], builtin: 'tcp-echo', defaultPort: 2701, imagePort: (_c, env) => env.TCP_PORT },
  // seed 004's demo: HOST / PORT / APP_NAME / GLOBAL_PREFIX from the environment
  { repositories: ['rlawnsdud/demo'], builtin: 'demo-app', defaultPort: 5678, imagePort: (_c, env) => env.PORT },
];

/**
 * "docker.io/istioinaction/catalog:latest" → "istioinaction/catalog"; a registry host
 * (a first part with a dot or colon, or "localhost"), "library/", the tag and the digest go.
 */
export function imageRepository(image: string): string {
  let name = image.trim().toLowerCase();
  const at = name.indexOf('@');
  if (at >= 0) name = name.slice(0, at);
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) name = name.slice(0, colon);
  const parts = name.split('/');
  if (parts.length > 1 && (parts[0]!.includes('.') || parts[0]!.includes(':') || parts[0] === 'localhost')) parts.shift();
  if (parts[0] === 'library' && parts.length > 1) parts.shift();
  return parts.join('/');
}

export function builtinForImage(image: string | undefined): BuiltinImage | undefined {
  if (!image) return undefined;
  const repo = imageRepository(image);
  return BUILTIN_IMAGES.find((b) => b.repositories.includes(repo));
}

const isSkeinImage = (image: string | undefined) => image !== undefined && /(^|\/)skein$/.test(imageRepository(image));

/** `skein ...` in a command means this repository's bin/skein. */
function expandSkein(argv: string[]): string[] {
  return argv[0] === 'skein' ? [...SKEIN_ARGV, ...argv.slice(1)] : argv;
}

/**
 * The program a container runs. `listenHost` is where the app must listen (its pod's
 * app address); `env` is the container's final environment. Throws AppCommandError
 * when the container names nothing the local mesh can run.
 */
export function appCommand(container: ContainerSpec, listenHost: string, env: Readonly<Record<string, string>>): AppCommand {
  const command = container.command ?? [];
  const args = container.args ?? [];
  if (command.length > 0) return { argv: expandSkein([...command, ...args]) };
  // an image named "skein" (or ".../skein") runs bin/skein with the container's args
  if (isSkeinImage(container.image)) {
    if (args.length === 0) throw new AppCommandError(`container "${container.name}": image ${container.image} needs args (a skein command, e.g. [catalog, --port, "3000"])`);
    return { argv: [...SKEIN_ARGV, ...args] };
  }
  const builtin = builtinForImage(container.image);
  if (!builtin) {
    const known = [...new Set(BUILTIN_IMAGES.flatMap((b) => b.repositories))].join(', ');
    throw new AppCommandError(
      `container "${container.name}": image ${container.image ?? '(none)'} has no command and is not one the local mesh can run; ` +
        `give the container a command (a local program, or "skein <service>"), or use one of: ${known}`,
    );
  }
  const port = builtin.imagePort?.(container, env) ?? container.ports?.[0]?.containerPort?.toString() ?? String(builtin.defaultPort);
  if (!/^\d+$/.test(port)) throw new AppCommandError(`container "${container.name}": cannot tell which port image ${container.image} listens on (got "${port}")`);
  return {
    argv: [...SKEIN_ARGV, builtin.builtin, '--host', listenHost, '--port', port, ...(builtin.extraArgs?.(container, env) ?? [])],
    builtin: builtin.builtin,
    port: Number(port),
  };
}
