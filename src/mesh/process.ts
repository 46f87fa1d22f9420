// One container's process, run the way the kubelet runs a container: in its own
// process group (so stopping it also stops whatever it started), output appended to a
// log file rather than the terminal, restarted with exponential backoff when it exits
// on its own (CrashLoopBackOff), and stopped with SIGTERM, then SIGKILL after a grace
// period.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

export interface ProcessSpec {
  /** The container name ("webapp", "istio-proxy"), for messages. */
  name: string;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  logFile: string;
}

export interface ProcessEvents {
  /** Each (re)start; `restarts` counts the restarts so far. */
  started(pid: number, restarts: number): void;
  /** An exit that was not asked for; `restartInMs` is when it comes back. */
  exited(description: string, restartInMs: number): void;
}

export const BACKOFF = { initialMs: 1000, maxMs: 30_000, resetAfterMs: 60_000 } as const;

/** The wait before restart number `failures` (1-based): 1 s, 2 s, 4 s, ... up to 30 s. */
export function backoffMs(failures: number, backoff: { initialMs: number; maxMs: number } = BACKOFF): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, failures - 1));
}

// Every process group this module started and has not seen stop: killed if the mesh
// itself exits without stopping them (an uncaught error), so nothing is left behind.
const liveGroups = new Set<number>();
process.on('exit', () => {
  for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
});

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone
  }
}

export class ManagedProcess {
  private child: ChildProcess | undefined;
  private startedAt = 0;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private exitWaiters: Array<() => void> = [];
  restarts = 0;
  /** The last unexpected exit, e.g. "exit code 1" (for status). */
  lastExit: string | undefined;

  constructor(
    readonly spec: ProcessSpec,
    private readonly events: ProcessEvents,
  ) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Waiting to be restarted after an exit. */
  get backingOff(): boolean {
    return this.restartTimer !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.stopping || this.child) return;
    const fd = fs.openSync(this.spec.logFile, 'a');
    fs.writeSync(fd, `--- ${new Date().toISOString()} starting ${this.spec.name}: ${this.spec.argv.map(quote).join(' ')} (in ${this.spec.cwd})\n`);
    let child: ChildProcess;
    try {
      child = spawn(this.spec.argv[0]!, this.spec.argv.slice(1), { cwd: this.spec.cwd, env: this.spec.env, detached: true, stdio: ['ignore', fd, fd] });
    } finally {
      fs.closeSync(fd);
    }
    this.child = child;
    this.startedAt = Date.now();
    if (child.pid !== undefined) {
      liveGroups.add(child.pid);
      this.events.started(child.pid, this.restarts);
    }
    let exitSeen = false;
    const onGone = (description: string) => {
      if (exitSeen) return;
      exitSeen = true;
      this.onExit(child, description);
    };
    child.on('error', (err) => {
      fs.appendFileSync(this.spec.logFile, `--- cannot start ${this.spec.name}: ${err.message}\n`);
      onGone(`cannot start: ${err.message}`);
    });
    child.on('exit', (code, signal) => onGone(signal ? `killed by ${signal}` : `exit code ${code}`));
  }

  private onExit(child: ChildProcess, description: string): void {
    if (child.pid !== undefined) {
      liveGroups.delete(child.pid);
      // what the process left running in its group goes with it
      killGroup(child.pid, 'SIGKILL');
    }
    if (this.child === child) this.child = undefined;
    for (const w of this.exitWaiters.splice(0)) w();
    if (this.stopping) return;
    fs.appendFileSync(this.spec.logFile, `--- ${new Date().toISOString()} ${this.spec.name} ${description}\n`);
    this.lastExit = description;
    if (Date.now() - this.startedAt >= BACKOFF.resetAfterMs) this.failures = 0;
    this.failures++;
    const delay = backoffMs(this.failures);
    this.events.exited(description, delay);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.restarts++;
      this.start();
    }, delay);
  }

  /** SIGTERM to the process group; SIGKILL what is left after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    if (!child || child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    killGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Immediate SIGKILL (a second Ctrl-C). */
  kill(): void {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.child?.pid !== undefined) killGroup(this.child.pid, 'SIGKILL');
  }
}

const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
