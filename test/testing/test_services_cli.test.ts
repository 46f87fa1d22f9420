// The test services' CLI entry points, run in a child process as `skein httpbin` etc. will
// run them: the listening line on stdout, real requests, exit 0 on SIGTERM, 2 on bad flags.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../helpers/paths.js';

const MODULE = path.join(repoRoot, 'dist', 'src', 'cli', 'commands', 'test_services.js');

/** Runs `<command>(argv)` from the compiled module and exits with its result. */
function runCommand(command: string, argv: string[]): ChildProcess {
  const script = `import(${JSON.stringify(MODULE)}).then((m) => m.${command}(${JSON.stringify(argv)})).then((code) => process.exit(code));`;
  return spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (c: string) => {
      out += c;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before printing`)));
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

function stderrOf(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    let err = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (c: string) => (err += c));
    child.stderr?.on('end', () => resolve(err));
  });
}

describe('test service commands', () => {
  it('httpbin: prints where it listens, serves, exits 0 on SIGTERM', async () => {
    const child = runCommand('httpbinCommand', ['--port', '0', '--host', '127.0.0.1']);
    try {
      const line = await firstLine(child);
      const m = /^httpbin listening on http:\/\/127\.0\.0\.1:(\d+)$/.exec(line);
      assert.ok(m, line);
      const res = await fetch(`http://127.0.0.1:${m[1]}/get`);
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { method: string }).method, 'GET');
      child.kill('SIGTERM');
      assert.equal(await exitCode(child), 0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('echo: --namespace and --pod show up in the echoed JSON; SIGINT exits 0', async () => {
    const child = runCommand('echoCommand', ['--port', '0', '--host', '127.0.0.1', '--namespace', 'ns-a', '--pod', 'pod-a-1-2']);
    try {
      const m = /^echo listening on http:\/\/127\.0\.0\.1:(\d+)$/.exec(await firstLine(child));
      assert.ok(m);
      const body = (await (await fetch(`http://127.0.0.1:${m[1]}/x`)).json()) as { namespace: string; pod: string };
      assert.equal(body.namespace, 'ns-a');
      assert.equal(body.pod, 'pod-a-1-2');
      child.kill('SIGINT');
      assert.equal(await exitCode(child), 0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('tcp-echo: --prefix', async () => {
    const child = runCommand('tcpEchoCommand', ['--port', '0', '--host', '127.0.0.1', '--prefix', 'hello']);
    try {
      const m = /^tcp-echo listening on tcp:\/\/127\.0\.0\.1:(\d+)$/.exec(await firstLine(child));
      assert.ok(m);
      const reply = await new Promise<string>((resolve, reject) => {
        const sock = net.connect(Number(m[1]), '127.0.0.1', () => sock.end('world\n'));
        let out = '';
        sock.setEncoding('utf8');
        sock.on('data', (c: string) => (out += c));
        sock.on('close', () => resolve(out));
        sock.on('error', reject);
      });
      assert.equal(reply, 'hello world\n');
      child.kill('SIGTERM');
      assert.equal(await exitCode(child), 0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('unknown flags and bad values exit 2 with a message on stderr', async () => {
    for (const [command, argv] of [
      ['httpbinCommand', ['--bogus']],
      ['webappCommand', ['--port', 'abc']],
      ['webappCommand', ['--catalog-url', 'not a url']],
      ['catalogCommand', ['extra-positional']],
    ] as const) {
      const child = runCommand(command, [...argv]);
      const [err, code] = await Promise.all([stderrOf(child), exitCode(child)]);
      assert.equal(code, 2, `${command} ${argv.join(' ')}`);
      assert.ok(err.length > 0);
    }
  });
});
