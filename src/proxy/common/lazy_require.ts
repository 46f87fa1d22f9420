// Modules that only some configs need, loaded on first use instead of at start-up.
// An ESM `import` loads its target when the proxy starts, whether or not the config
// ever uses it: @grpc/grpc-js (no xDS; ~2 MB of RSS with the node:zlib and
// node:http2 it pulls in) and node:http2 (no HTTP/2 listener or cluster; ~0.3 MB)
// would cost every idle proxy their code, their native bindings' state and more of
// the node binary's pages (docs/architecture.md, "Memory"). `require` is
// synchronous, so call sites stay synchronous; types still come from `import type`.
// (node:cluster and node:dns would not gain: net.Server.listen loads both.)
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A getter that requires `id` (a built-in or a CommonJS package) the first time it is called. */
export function lazyRequire<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}
