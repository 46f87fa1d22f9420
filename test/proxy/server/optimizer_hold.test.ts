// The optimizer hold of `skein proxy` (src/proxy/server/optimizer_hold.ts) relies on
// V8 reading --turbofan each time it considers optimizing a function. If a Node
// upgrade changed that, the hold would keep start-up from optimizing nothing, or
// worse, the release would not bring TurboFan back: both show here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../../helpers/paths.js';

const hold = path.join(repoRoot, 'dist', 'src', 'proxy', 'server', 'optimizer_hold.js');

// Prints whether a hot function got optimized while held and after release.
const SCRIPT = `
const { holdOptimizer, releaseOptimizer } = await import(${JSON.stringify(hold)});
const hot = (n) => { let s = 0; for (let i = 0; i < n; i++) s += (i * 31) % 7; return s; };
const optimized = () => (%GetOptimizationStatus(hot) & 16) !== 0; // V8 OptimizationStatus::kOptimized
const run = () => { for (let k = 0; k < 300; k++) hot(20000); };
holdOptimizer();
run();
const held = optimized();
releaseOptimizer();
run();
console.log(JSON.stringify({ held, released: optimized() }));
`;

function run(execArgv: string[]): { held: boolean; released: boolean } {
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', ...execArgv, '--input-type=module', '-e', SCRIPT], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim()) as { held: boolean; released: boolean };
}

describe('optimizer hold', () => {
  it('keeps TurboFan off while held and turns it back on at release', () => {
    assert.deepEqual(run([]), { held: false, released: true });
  });

  it('leaves a process alone that was started with its own compiler flags', () => {
    assert.deepEqual(run(['--no-opt']), { held: false, released: false });
  });
});
