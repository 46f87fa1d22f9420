// Runs real `bin/skein` processes for end-to-end tests and cleans them up.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { skeinBin } from './paths.js';

export interface SkeinProcess {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

export function spawnSkein(args: string[], env: Record<string, string> = {}): SkeinProcess {
  const child = spawn(process.execPath, [skeinBin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  const waiters: Array<() => void> = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      for (const w of waiters.splice(0)) w();
      resolve(code ?? signal ?? -1);
    });
  });
  return {
    child,
    output: () => out,
    exited,
    kill: (signal = 'SIGTERM') => child.kill(signal),
    waitFor(pattern, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern} in output:\n${out}`)), timeoutMs);
        const check = () => {
          const m = pattern.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            reject(new Error(`process exited before ${pattern} appeared; output:\n${out}`));
          } else waiters.push(check);
        };
        check();
      });
    },
  };
}

export async function stopProcess(p: SkeinProcess | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
  await p.exited;
  clearTimeout(timer);
}

export function tempDir(prefix = 'skein-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Runs a command (curl, openssl) and returns its stdout/stderr/exit code. */
export function run(cmd: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    // 'close', not 'exit': stdout/stderr may still hold unread output at 'exit'.
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.on('error', () => undefined); // EPIPE when the command exits without reading its input
    child.stdin.end(input ?? '');
  });
}

/** Starts a proxy process from YAML and returns its admin URL (read from --admin-address-path). */
export async function spawnProxy(yaml: string, extraArgs: string[] = []): Promise<{ proc: SkeinProcess; admin: string; listenerPort(name: string): Promise<number> }> {
  const dir = tempDir();
  const configPath = path.join(dir, 'envoy.yaml');
  fs.writeFileSync(configPath, yaml);
  const adminFile = path.join(dir, 'admin');
  const proc = spawnSkein(['proxy', '-c', configPath, '--admin-address-path', adminFile, '--drain-time-s', '2', ...extraArgs]);
  // The config and address files are only needed until the proxy exits.
  void proc.exited.then(() => fs.rmSync(dir, { recursive: true, force: true }));
  await proc.waitFor(/starting main dispatch loop/);
  const admin = `http://${fs.readFileSync(adminFile, 'utf8').trim()}`;
  return {
    proc,
    admin,
    async listenerPort(name) {
      const text = await (await fetch(`${admin}/listeners`)).text();
      const m = new RegExp(`^${name}::.*:(\\d+)$`, 'm').exec(text);
      if (!m) throw new Error(`listener ${name} not in /listeners:\n${text}`);
      return Number(m[1]);
    },
  };
}
