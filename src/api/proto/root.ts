// Envoy's API protos are the schema for every config skein reads (DESIGN.md §4.1).
// They come from @grpc/grpc-js-xds, which vendors envoy-api, xds (udpa), googleapis
// and protoc-gen-validate; protobufjs supplies google/protobuf itself. Loading all
// v3 files takes ~150 ms, once per process, and keeps the validate rules as options.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);

/** Directories searched, in order, for an `import "..."` inside a proto file. */
function protoSearchPath(): { vendored: string[]; protobufjsDir: string } {
  const xdsPkg = path.dirname(require.resolve('@grpc/grpc-js-xds/package.json'));
  const deps = path.join(xdsPkg, 'deps');
  const protobufjsDir = path.dirname(require.resolve('protobufjs/package.json'));
  return {
    vendored: ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(deps, d)),
    protobufjsDir,
  };
}

// These files import protos (opencensus, opentelemetry, prometheus client) that
// the vendored tree does not carry; nothing skein implements needs them.
const UNLOADABLE = new Set([
  'envoy/config/trace/v3/opencensus.proto',
  'envoy/config/trace/v3/trace.proto',
  'envoy/extensions/access_loggers/open_telemetry/v3/logs_service.proto',
  'envoy/service/metrics/v3/metrics_service.proto',
  'envoy/service/trace/v3/trace_service.proto',
]);

function listProtoFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listProtoFiles(dir, child));
    else if (entry.name.endsWith('.proto')) out.push(child);
  }
  return out;
}

let cached: protobuf.Root | undefined;

/** The one protobufjs Root holding every Envoy v3 message, loaded on first use. */
export function protoRoot(): protobuf.Root {
  if (cached) return cached;
  const { vendored, protobufjsDir } = protoSearchPath();
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string): string => {
    if ((protobuf as any).common[target]) return target;
    const own = path.join(protobufjsDir, target);
    if (fs.existsSync(own)) return own;
    for (const dir of vendored) {
      const candidate = path.join(dir, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    return target;
  };
  const envoyDir = vendored[0]!;
  const files = listProtoFiles(envoyDir, 'envoy').filter((f) => f.includes('/v3/') && !UNLOADABLE.has(f));
  files.push('udpa/type/v1/typed_struct.proto', 'xds/type/v3/typed_struct.proto');
  root.loadSync(files, { keepCase: true });
  root.resolveAll();
  cached = root;
  return root;
}

export const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** Strips the `type.googleapis.com/` (or any `host/`) prefix of an Any type URL. */
export function typeNameOfUrl(typeUrl: string): string {
  const slash = typeUrl.lastIndexOf('/');
  return slash >= 0 ? typeUrl.slice(slash + 1) : typeUrl;
}

/** Finds a message type by full name or type URL; undefined when the protos lack it. */
export function findMessageType(nameOrUrl: string): protobuf.Type | undefined {
  const name = typeNameOfUrl(nameOrUrl);
  try {
    const found = protoRoot().lookup(name);
    return found instanceof protobuf.Type ? found : undefined;
  } catch {
    return undefined;
  }
}

export function messageType(name: string): protobuf.Type {
  const type = findMessageType(name);
  if (!type) throw new Error(`proto message type ${name} is not loaded`);
  return type;
}
