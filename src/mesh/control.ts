// The running mesh's control endpoint (127.0.0.1:15080 by default): what
// `skein mesh status | scale | down` talk to, like kubectl talks to an API server.
//   GET  /pods                       {pods: PodStatus[], ready, runDir, nodePorts}
//   POST /scale  {namespace, deployment, replicas}   → {previous, replicas}
//   POST /shutdown                   stops the mesh (as SIGTERM would)
import http from 'node:http';
import type { PodStatus } from './pod.js';

export const DEFAULT_CONTROL_PORT = 15080;
export const CONTROL_HOST = '127.0.0.1';

export interface MeshState {
  pods: PodStatus[];
  ready: boolean;
  runDir: string;
  nodePorts: number[];
  xdsPort: number;
  debugPort?: number;
}

export interface ControlHandlers {
  state(): MeshState;
  scale(namespace: string, deployment: string, replicas: number): Promise<{ previous: number; replicas: number }>;
  shutdown(): void;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    req.on('end', () => {
      try {
        const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('expected a JSON object');
        resolve(v as Record<string, unknown>);
      } catch (err) {
        reject(new HttpError(400, `bad request body: ${(err as Error).message}`));
      }
    });
  });
}

export function startControlServer(port: number, handlers: ControlHandlers, host = CONTROL_HOST): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      const text = JSON.stringify(body) + '\n';
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const route = async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/pods') return reply(200, handlers.state());
      if (req.method === 'POST' && path === '/scale') {
        const body = await readJson(req);
        const { namespace, deployment, replicas } = body;
        if (typeof namespace !== 'string' || typeof deployment !== 'string' || typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
          throw new HttpError(400, 'want {"namespace": string, "deployment": string, "replicas": integer >= 0}');
        }
        return reply(200, await handlers.scale(namespace, deployment, replicas));
      }
      if (req.method === 'POST' && path === '/shutdown') {
        reply(202, { stopping: true });
        handlers.shutdown();
        return;
      }
      throw new HttpError(404, `no such endpoint: ${req.method} ${path}`);
    };
    route().catch((err: unknown) => reply(err instanceof HttpError ? err.status : 500, { error: (err as Error).message }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const bound = (server.address() as { port: number }).port;
      resolve({
        port: bound,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** Calls a running mesh; rejects with a user-facing message when none answers. */
export async function callMesh<T>(port: number, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`http://${CONTROL_HOST}:${port}${path}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new Error(`no local mesh answers on ${CONTROL_HOST}:${port} (start one with \`skein mesh up DIR\`, or pass its --control-port)`);
  }
  const parsed = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) throw new HttpError(res.status, parsed.error ?? `HTTP ${res.status}`);
  return parsed;
}
