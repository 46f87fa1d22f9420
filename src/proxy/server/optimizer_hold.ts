// `skein proxy` starts with V8's optimizing compiler (TurboFan) held off, and turns
// it back on once the proxy serves. Start-up code runs once: loading ~200 modules
// (node's module resolution gets hot), parsing the proto files and the bootstrap,
// building listeners and clusters. Optimizing any of it gains nothing, yet the first
// optimized function pages ~3.5 MB of TurboFan's own machine code into the process
// and leaves its compile zones in malloc: ~4.5 MB of an idle proxy's RSS, for good
// (docs/architecture.md, "Memory"). Requests are handled after the release, so hot
// request-path code is optimized exactly as before; start-up code runs in the
// interpreter and Sparkplug, which costs a small config nothing and a bootstrap of
// 1,000 clusters ~0.15 s (of ~1.1 s).
//
// V8 reads the flag whenever it decides to optimize a function, so flipping it at
// run time is enough. A process started with its own say on the compiler (--jitless,
// --no-opt, --max-opt, ...) is left alone.
import v8 from 'node:v8';

let held = false;

// However long start-up waits (an xDS initial fetch without a timeout, while static
// listeners already serve), the compiler is back after this.
const HOLD_LIMIT_MS = 10_000;

const COMPILER_FLAG = /^--(no-)?(jitless|opt|turbofan|max-opt|always-opt|always-turbofan|maglev)(=|$)|jitless/;

function compilerFlagGiven(): boolean {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return args.some((a) => COMPILER_FLAG.test(a.replace(/_/g, '-')));
}

/** Holds TurboFan off until releaseOptimizer(); called first thing by bin/skein for `skein proxy`. */
export function holdOptimizer(): void {
  if (held || compilerFlagGiven()) return;
  v8.setFlagsFromString('--no-turbofan');
  held = true;
  setTimeout(releaseOptimizer, HOLD_LIMIT_MS).unref();
}

/** Turns TurboFan back on (if holdOptimizer turned it off): the proxy is serving. */
export function releaseOptimizer(): void {
  if (!held) return;
  v8.setFlagsFromString('--turbofan');
  held = false;
}
