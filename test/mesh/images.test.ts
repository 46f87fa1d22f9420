import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AppCommandError, appCommand, imageRepository, SKEIN_ARGV } from '../../src/mesh/images.js';
import { skeinBin } from '../helpers/paths.js';

describe('local mesh images and commands', () => {
  it('reduces an image reference to its repository', () => {
    assert.equal(imageRepository('istioinaction/catalog:latest'), 'istioinaction/catalog');
    assert.equal(imageRepository('docker.io/kennethreitz/httpbin'), 'kennethreitz/httpbin');
    assert.equal(imageRepository('localhost:5000/team/app:v2@sha256:abc'), 'team/app');
    assert.equal(imageRepository('docker.io/library/nginx:1.25'), 'nginx');
    assert.equal(imageRepository('gcr.io/istio-release/proxyv2:1.17.8'), 'istio-release/proxyv2');
  });

  it('runs this repository’s bin/skein', () => {
    assert.deepEqual(SKEIN_ARGV, [process.execPath, skeinBin]);
  });

  it('maps the book’s images to built-in services listening on the app address and container port', () => {
    const catalog = appCommand({ name: 'catalog', image: 'istioinaction/catalog:latest', ports: [{ containerPort: 3000, name: 'http' }] }, '127.2.0.2', {});
    assert.deepEqual(catalog.argv, [...SKEIN_ARGV, 'catalog', '--host', '127.2.0.2', '--port', '3000']);
    assert.equal(catalog.builtin, 'catalog');
    const webapp = appCommand({ name: 'webapp', image: 'istioinaction/webapp:latest' }, '127.2.0.3', {});
    assert.deepEqual(webapp.argv.slice(2), ['webapp', '--host', '127.2.0.3', '--port', '8080']);
  });

  it('reads the port each image would read', () => {
    const goHttpbin = appCommand({ name: 'httpbin', image: 'mccutchen/go-httpbin', args: ['-port', '8000'] }, 'H', {});
    assert.deepEqual(goHttpbin.argv.slice(2), ['httpbin', '--host', 'H', '--port', '8000']);
    assert.deepEqual(appCommand({ name: 'httpbin', image: 'mccutchen/go-httpbin' }, 'H', { PORT: '8001' }).argv.slice(-1), ['8001']);
    assert.deepEqual(appCommand({ name: 'httpbin', image: 'docker.io/kennethreitz/httpbin' }, 'H', {}).argv.slice(-1), ['80']);
    const tcpEcho = appCommand({ name: 'tcp-echo', image: 'docker.io/istio/tcp-echo-server:1.2', args: ['9000,9001', 'hello'] }, 'H', {});
    assert.deepEqual(tcpEcho.argv.slice(2), ['tcp-echo', '--host', 'H', '--port', '9000', '--prefix', 'hello']);
    assert.deepEqual(appCommand({ name: 'echo', image: 'cjimti/go-echo:latest' }, 'H', { TCP_PORT: '2701' }).argv.slice(2), ['tcp-echo', '--host', 'H', '--port', '2701']);
    const demo = appCommand({ name: 'myapp', image: 'rlawnsdud/demo', ports: [{ containerPort: 5678 }] }, 'H', { PORT: '5678' });
    assert.deepEqual(demo.argv.slice(2), ['demo-app', '--host', 'H', '--port', '5678']);
  });

  it('runs a command as given, with skein meaning bin/skein', () => {
    assert.deepEqual(appCommand({ name: 'a', image: 'anything', command: ['node', 'server.js'], args: ['--x'] }, 'H', {}).argv, ['node', 'server.js', '--x']);
    assert.deepEqual(appCommand({ name: 'a', command: ['skein', 'httpbin'], args: ['--port', '9'] }, 'H', {}).argv, [...SKEIN_ARGV, 'httpbin', '--port', '9']);
    assert.deepEqual(appCommand({ name: 'a', image: 'skein:latest', args: ['echo', '--port', '3000'] }, 'H', {}).argv, [...SKEIN_ARGV, 'echo', '--port', '3000']);
  });

  it('refuses an unknown image without a command, naming what would work', () => {
    assert.throws(() => appCommand({ name: 'db', image: 'postgres:16' }, 'H', {}), (err: unknown) => {
      assert.ok(err instanceof AppCommandError);
      assert.match(err.message, /container "db": image postgres:16 has no command .* istioinaction\/catalog/);
      return true;
    });
  });
});
