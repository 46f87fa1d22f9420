// Access log files, shared by path (Envoy's AccessLogManager): every logger naming one
// file appends through one writer, so lines never interleave mid-line and SIGUSR1 can
// reopen them all (log rotation). A request only appends to an in-memory buffer; the
// buffer goes to the OS once per event-loop turn, asynchronously for regular files.
import fs from 'node:fs';
import type { Writable } from 'node:stream';
import { logger } from '../../../common/logger.js';

const log = logger('file');

/** Paths that mean the process's own streams; opening them again would fail on sockets. */
function stdStream(path: string): Writable | undefined {
  if (path === '/dev/stdout') return process.stdout;
  if (path === '/dev/stderr') return process.stderr;
  return undefined;
}

function openAppend(path: string): Writable {
  const std = stdStream(path);
  if (std) return std;
  // Opened synchronously so a bad path fails at config time, as in Envoy; writes are async.
  const fd = fs.openSync(path, 'a');
  return fs.createWriteStream(path, { fd, flags: 'a' });
}

export class AccessLogFile {
  private chunks: string[] = [];
  private scheduled = false;
  private waitingForDrain = false;
  private broken = false;
  private inflight = 0;
  private idleWaiters: Array<() => void> = [];
  private stream: Writable;
  /** Loggers holding this file open. */
  refs = 0;
  /** Lines dropped because the file could not be written (until it is reopened). */
  dropped = 0;

  constructor(readonly path: string) {
    this.stream = this.attach(openAppend(path));
  }

  private attach(stream: Writable): Writable {
    if (!stdStream(this.path)) {
      stream.on('error', (err) => {
        log.error(`access log ${this.path}: ${(err as Error).message}`);
        if (stream !== this.stream) return; // an old file after reopen
        this.broken = true;
        this.chunks = [];
        this.inflight = 0;
        this.wakeIdle();
      });
    }
    return stream;
  }

  write(line: string): void {
    if (this.broken) {
      this.dropped++;
      return;
    }
    this.chunks.push(line);
    if (!this.scheduled && !this.waitingForDrain) {
      this.scheduled = true;
      setImmediate(this.flushBuffered);
    }
  }

  private readonly flushBuffered = (): void => {
    this.scheduled = false;
    if (this.chunks.length === 0 || this.broken) return;
    const stream = this.stream;
    if (!this.writeOut(this.take())) {
      // The OS is behind: keep buffering here until the stream drains.
      this.waitingForDrain = true;
      stream.once('drain', () => {
        this.waitingForDrain = false;
        this.flushBuffered();
      });
    }
  };

  private take(): string {
    const data = this.chunks.length === 1 ? this.chunks[0]! : this.chunks.join('');
    this.chunks = [];
    return data;
  }

  private writeOut(data: string): boolean {
    this.inflight++;
    return this.stream.write(data, () => {
      if (this.inflight > 0) this.inflight--;
      if (this.inflight === 0) this.wakeIdle();
    });
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves once every line logged so far has been handed to the OS. */
  flush(): Promise<void> {
    if (!this.broken && this.chunks.length) this.writeOut(this.take());
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Starts a new file at the same path (after logrotate moved the old one). */
  reopen(): void {
    if (stdStream(this.path)) return;
    let next: Writable;
    try {
      next = this.attach(openAppend(this.path));
    } catch (err) {
      log.error(`access log ${this.path}: reopen failed: ${(err as Error).message}`);
      return;
    }
    // Lines logged before the signal still belong to the old file.
    if (!this.broken && this.chunks.length) this.writeOut(this.take());
    const old = this.stream;
    this.stream = next;
    this.broken = false;
    this.waitingForDrain = false;
    old.end();
  }

  async close(): Promise<void> {
    await this.flush();
    if (stdStream(this.path) || this.broken) return;
    await new Promise<void>((resolve) => this.stream.end(() => resolve()));
  }
}

const files = new Map<string, AccessLogFile>();

/** The shared file for `path`, opened on first use; pair with releaseAccessLogFile. */
export function acquireAccessLogFile(path: string): AccessLogFile {
  let file = files.get(path);
  if (!file) {
    file = new AccessLogFile(path);
    files.set(path, file);
  }
  file.refs++;
  return file;
}

export async function releaseAccessLogFile(file: AccessLogFile): Promise<void> {
  if (--file.refs > 0) return file.flush();
  if (files.get(file.path) === file) files.delete(file.path);
  await file.close();
}

/** Envoy reopens access logs on SIGUSR1; the server wires the signal to this. */
export function reopenAll(): void {
  for (const file of files.values()) file.reopen();
}

/** Flushes every open access log file (shutdown, tests). */
export async function flushAll(): Promise<void> {
  await Promise.all([...files.values()].map((f) => f.flush()));
}
