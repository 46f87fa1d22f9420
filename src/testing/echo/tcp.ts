// `skein tcp-echo`: the book's tcp-echo service (port 2701 behind the gateway's 31400).
// Each line comes back as sent, or as `<prefix> <line>` like Istio's tcp-echo-server
// started with a prefix argument (`hello` → "hello world").
import net from 'node:net';
import type { RunningServer } from '../httpbin/listen.js';

export interface TcpEchoOptions {
  port: number;
  host?: string;
  prefix?: string;
}

function serve(socket: net.Socket, prefix: string | undefined): void {
  socket.setNoDelay(true);
  const head = prefix ? Buffer.from(prefix + ' ') : undefined;
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let nl: number;
    while ((nl = buf.indexOf(0x0a)) >= 0) {
      const line = buf.subarray(0, nl + 1);
      socket.write(head ? Buffer.concat([head, line]) : line);
      buf = buf.subarray(nl + 1);
    }
    pending = Buffer.from(buf);
  });
  // a last line without a newline (e.g. `printf hi | nc`) is still answered before closing
  socket.on('end', () => {
    if (pending.length) socket.write(head ? Buffer.concat([head, pending]) : pending);
    socket.end();
  });
  socket.on('error', () => socket.destroy());
}

export function startTcpEcho(options: TcpEchoOptions): Promise<RunningServer<net.Server>> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    serve(socket, options.prefix);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : options.port;
      const close = () =>
        new Promise<void>((done) => {
          if (!server.listening) return done();
          server.close(() => done());
          for (const s of sockets) s.destroy();
        });
      resolve({ server, port, close });
    });
  });
}
