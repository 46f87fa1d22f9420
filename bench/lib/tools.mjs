// The benchmark's system tools come from Debian packages. As root they are
// installed on demand (a fresh CI machine has none); otherwise we say how.
import { spawnSync } from 'node:child_process';

const TOOLS = [
  { bin: 'wrk', pkg: 'wrk' },
  { bin: 'nginx', pkg: 'nginx-light' },
  { bin: 'haproxy', pkg: 'haproxy' },
  { bin: 'taskset', pkg: 'util-linux' },
  { bin: 'h2load', pkg: 'nghttp2-client' },
  { bin: 'openssl', pkg: 'openssl' },
];

const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;

export function ensureTools() {
  const missing = TOOLS.filter((t) => !has(t.bin));
  if (!missing.length) return;
  const pkgs = [...new Set(missing.map((t) => t.pkg))];
  const cmd = `apt-get update && apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
  if (process.getuid?.() !== 0) {
    console.error(`bench: missing ${missing.map((t) => t.bin).join(', ')}. Install with:\n  sudo sh -c '${cmd}'`);
    process.exit(2);
  }
  console.log(`bench: installing ${pkgs.join(' ')} ...`);
  const r = spawnSync('sh', ['-c', cmd], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0 || TOOLS.some((t) => !has(t.bin))) {
    console.error(`bench: "${cmd}" failed`);
    process.exit(2);
  }
}

/** Versions for the results file, so numbers can be compared across machines. */
export function toolVersions() {
  const first = (cmd) => {
    const r = spawnSync('sh', ['-c', `${cmd} 2>&1`], { encoding: 'utf8' });
    return (r.stdout || '').split('\n')[0].trim();
  };
  return {
    node: process.version,
    wrk: first('wrk -v'),
    nginx: first('nginx -v'),
    haproxy: first('haproxy -v'),
    h2load: first('h2load --version'),
    openssl: first('openssl version'),
  };
}
