// Container processes of the local mesh: own process group, output to a log file,
// restart with backoff after an exit, SIGTERM then SIGKILL for the whole group.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { backoffMs, ManagedProcess } from '../../src/mesh/process.js';
import { tempDir } from '../helpers/process.js';
import { waitFor } from '../helpers/wait.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('local mesh processes', () => {
  it('backs off 1 s, 2 s, 4 s ... up to 30 s', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((n) => backoffMs(n)), [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('logs to a file, restarts a process that exits, and stops its whole group', async () => {
    const dir = tempDir();
    const marker = path.join(dir, 'runs');
    // each run appends to a file; the first run exits at once, later ones start a
    // grandchild and wait (the grandchild must die with the group)
    const script = `echo run >> ${marker}; echo "hello from $$"; if [ $(wc -l < ${marker}) -lt 2 ]; then exit 3; fi; sleep 300 & echo $! > ${dir}/grandchild; wait`;
    const events: string[] = [];
    const p = new ManagedProcess(
      { name: 'app', argv: ['sh', '-c', script], env: { PATH: process.env.PATH ?? '' }, cwd: dir, logFile: path.join(dir, 'app.log') },
      { started: (_pid, restarts) => events.push(`started ${restarts}`), exited: (d, ms) => events.push(`exited ${d} ${ms}`) },
    );
    try {
      p.start();
      await waitFor(() => fs.existsSync(path.join(dir, 'grandchild')) && fs.readFileSync(path.join(dir, 'grandchild'), 'utf8').trim(), 'the restarted run to start its grandchild');
      assert.deepEqual(events, ['started 0', 'exited exit code 3 1000', 'started 1']);
      assert.equal(p.restarts, 1);
      assert.equal(p.lastExit, 'exit code 3');
      const log = fs.readFileSync(path.join(dir, 'app.log'), 'utf8');
      assert.match(log, /starting app: sh -c/);
      assert.match(log, /hello from \d+/);
      assert.match(log, /app exit code 3/);
      const grandchild = Number(fs.readFileSync(path.join(dir, 'grandchild'), 'utf8'));
      assert.ok(alive(grandchild));
      await p.stop(2000);
      assert.equal(p.running, false);
      await waitFor(() => !alive(grandchild), 'the grandchild to be gone with its group');
      assert.equal(events.length, 3, 'a requested stop is not an exit to restart after');
    } finally {
      p.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SIGKILLs a process that ignores SIGTERM after the grace period', async () => {
    const dir = tempDir();
    const p = new ManagedProcess(
      { name: 'stubborn', argv: ['sh', '-c', `trap '' TERM; echo ready > ${dir}/ready; while true; do sleep 0.1; done`], env: { PATH: process.env.PATH ?? '' }, cwd: dir, logFile: path.join(dir, 'log') },
      { started: () => undefined, exited: () => undefined },
    );
    try {
      p.start();
      await waitFor(() => fs.existsSync(path.join(dir, 'ready')), 'the process to install its trap');
      const pid = p.pid!;
      await p.stop(300);
      assert.equal(alive(pid), false);
    } finally {
      p.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a program that cannot start as an exit and retries it', async () => {
    const dir = tempDir();
    const exits: string[] = [];
    const p = new ManagedProcess(
      { name: 'missing', argv: ['/nonexistent/program'], env: {}, cwd: dir, logFile: path.join(dir, 'log') },
      { started: () => undefined, exited: (d) => exits.push(d) },
    );
    try {
      p.start();
      await waitFor(() => exits.length > 0, 'the failed start');
      assert.match(exits[0]!, /cannot start: .*ENOENT/);
      assert.equal(p.backingOff, true);
      assert.match(fs.readFileSync(path.join(dir, 'log'), 'utf8'), /cannot start missing/);
    } finally {
      await p.stop(100);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
