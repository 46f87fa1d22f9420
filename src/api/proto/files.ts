// Where Envoy's .proto files come from and which of them skein can load. They come
// from @grpc/grpc-js-xds, which vendors envoy-api, xds (udpa), googleapis and
// protoc-gen-validate; protobufjs supplies google/protobuf itself (DESIGN.md §4.1).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);

/** The file whose import closure every proxy needs; root.ts loads it up front. */
export const BOOTSTRAP_PROTO = 'envoy/config/bootstrap/v3/bootstrap.proto';

/** The packages whose protos (and versions) decide what the type index holds. */
export const PROTO_PACKAGES = ['@grpc/grpc-js-xds', 'protobufjs'] as const;

interface SearchPath {
  /** envoy-api, xds, googleapis, protoc-gen-validate, searched in that order. */
  vendored: string[];
  protobufjsDir: string;
}

let searchPath: SearchPath | undefined;

/** Directories searched, in order, for an `import "..."` inside a proto file. */
function protoSearchPath(): SearchPath {
  if (searchPath) return searchPath;
  const xdsPkg = path.dirname(require.resolve('@grpc/grpc-js-xds/package.json'));
  const deps = path.join(xdsPkg, 'deps');
  searchPath = {
    vendored: ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(deps, d)),
    protobufjsDir: path.dirname(require.resolve('protobufjs/package.json')),
  };
  return searchPath;
}

/** Installed versions of PROTO_PACKAGES, recorded in the type index. */
export function protoPackageVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PROTO_PACKAGES) {
    const file = require.resolve(`${name}/package.json`);
    out[name] = (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return out;
}

/**
 * Maps an import path ("envoy/config/core/v3/base.proto") to the file protobufjs
 * reads: protobufjs's bundled google/protobuf first, then the vendored trees.
 */
export function resolveProtoPath(_origin: string, target: string): string {
  if ((protobuf as any).common[target]) return target;
  const { vendored, protobufjsDir } = protoSearchPath();
  const own = path.join(protobufjsDir, target);
  if (fs.existsSync(own)) return own;
  for (const dir of vendored) {
    const candidate = path.join(dir, target);
    if (fs.existsSync(candidate)) return candidate;
  }
  return target;
}

/** The import path of a file protobufjs loaded (inverse of resolveProtoPath). */
export function importPathOf(filename: string): string {
  const { vendored, protobufjsDir } = protoSearchPath();
  for (const dir of [protobufjsDir, ...vendored]) {
    if (filename.startsWith(dir + path.sep)) return filename.slice(dir.length + 1).split(path.sep).join('/');
  }
  return filename;
}

// These files import protos (opencensus, opentelemetry, prometheus client) that
// the vendored tree does not carry; nothing skein implements needs them.
export const UNLOADABLE = new Set([
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

/**
 * Every file skein can load: Envoy's v3 protos (minus UNLOADABLE) and the two
 * TypedStructs; their imports come along. The order is the directory order, as
 * before lazy loading, so a full load builds the same tree (gen-proto-types.mjs
 * emits in that order).
 */
export function allProtoFiles(): string[] {
  const envoyDir = protoSearchPath().vendored[0]!;
  const files = listProtoFiles(envoyDir, 'envoy').filter((f) => f.includes('/v3/') && !UNLOADABLE.has(f));
  files.push('udpa/type/v1/typed_struct.proto', 'xds/type/v3/typed_struct.proto');
  return files;
}

/** An empty Root that finds imports the way skein does. */
export function newProtoRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = resolveProtoPath;
  return root;
}

export const PROTO_PARSE_OPTIONS: protobuf.IParseOptions = { keepCase: true };
