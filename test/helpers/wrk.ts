// Drives HTTP/1.1 keep-alive load with the real `wrk` (installed by
// scripts/ensure-test-tools.sh) and reads its summary. `startWrk` runs it in the
// background with a long -d; `stop()` sends SIGINT, on which wrk stops its
// connections and prints the same summary as at the end of a timed run, so a test
// can keep the load on exactly until the conditions it waits for are met.
import { spawn } from 'node:child_process';

export interface WrkSummary {
  /** Completed requests ("N requests in ..."). */
  requests: number;
  /** "Non-2xx or 3xx responses: N" (absent from wrk's output when 0). */
  non2xx3xx: number;
  /** "Socket errors: connect A, read B, write C, timeout D" (absent when all are 0). */
  socketErrors: { connect: number; read: number; write: number; timeout: number };
  /** wrk's whole output, for failure messages. */
  raw: string;
}

export interface WrkOptions {
  threads?: number;
  connections?: number;
  /** Upper bound of the run in seconds (default 60); `stop()` normally ends it first. */
  maxDurationS?: number;
  /** wrk's --timeout: a request without a response for this long counts as a timeout error (default 10). */
  timeoutS?: number;
  headers?: string[];
}

export interface WrkRun {
  /** True until wrk exits. */
  running(): boolean;
  /** Output so far (wrk prints its summary only at the end). */
  output(): string;
  /** Ends the run (SIGINT) and resolves with its summary. */
  stop(): Promise<WrkSummary>;
  /** Kills wrk without reading a summary (cleanup). */
  kill(): void;
}

export function parseWrk(raw: string): WrkSummary {
  const requests = /^\s*(\d+) requests in /m.exec(raw);
  if (!requests) throw new Error(`no "N requests in" line in wrk's output:\n${raw}`);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(raw);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(raw);
  return {
    requests: Number(requests[1]),
    non2xx3xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: sock
      ? { connect: Number(sock[1]), read: Number(sock[2]), write: Number(sock[3]), timeout: Number(sock[4]) }
      : { connect: 0, read: 0, write: 0, timeout: 0 },
    raw,
  };
}

export function startWrk(url: string, options: WrkOptions = {}): WrkRun {
  const args = [
    `-t${options.threads ?? 1}`,
    `-c${options.connections ?? 8}`,
    `-d${options.maxDurationS ?? 60}s`,
    '--timeout', `${options.timeoutS ?? 10}s`,
    ...(options.headers ?? []).flatMap((h) => ['-H', h]),
    url,
  ];
  const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let spawnError: Error | undefined;
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => {
    child.on('error', (err) => {
      spawnError = err;
      resolve();
    });
    child.on('close', () => resolve());
  });
  const running = () => !spawnError && child.exitCode === null && child.signalCode === null;
  return {
    running,
    output: () => out,
    kill: () => {
      if (running()) child.kill('SIGKILL');
    },
    async stop() {
      if (running()) child.kill('SIGINT');
      await exited;
      if (spawnError) throw new Error(`cannot run wrk (${spawnError.message}); scripts/ensure-test-tools.sh installs it`);
      if (child.exitCode !== 0) throw new Error(`wrk ${args.join(' ')} exited with ${child.exitCode ?? child.signalCode}:\n${out}`);
      return parseWrk(out);
    },
  };
}
