// Certificate rotation: files named by tls_certificates, Kubernetes-style watched
// directories, and file-based SDS secrets are re-read on change; new handshakes use
// the new certificate, established connections carry on.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { createPki, type LeafFiles, type Pki } from '../../helpers/pki.js';
import { connectTls, eventually, file, makeDownstream, serveTls } from './harness.js';
import { SecretManager } from '../../../src/proxy/tls/secret_manager.js';

describe('certificate reload', () => {
  let pki: Pki;
  let second: LeafFiles;
  let dir: string;
  let n = 0;
  before(() => {
    pki = createPki();
    second = pki.issue('webapp-rotated', { dns: ['webapp.istioinaction.io'] });
  });
  after(() => pki.cleanup());
  const freshDir = () => {
    dir = path.join(pki.dir, `reload-${n++}`);
    fs.mkdirSync(dir);
    return dir;
  };
  const install = (leaf: LeafFiles, into: string) => {
    fs.writeFileSync(path.join(into, 'cert.pem'), pki.read(leaf.chain));
    fs.writeFileSync(path.join(into, 'key.pem'), pki.read(leaf.key));
  };
  const options = () => ({ ca: pki.read(pki.root.cert), servername: 'webapp.istioinaction.io' });

  it('re-reads certificate files when they change, keeping established connections', async () => {
    const d0 = freshDir();
    install(pki.webapp, d0);
    const d = makeDownstream({
      common_tls_context: { tls_certificates: [{ certificate_chain: file(path.join(d0, 'cert.pem')), private_key: file(path.join(d0, 'key.pem')) }] },
    });
    // An echo server holding its connections open across the rotation.
    const server = net.createServer((s) => void d.factory.wrap(s).then(({ stream }) => stream.pipe(stream), () => undefined));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const held = tls.connect({ host: '127.0.0.1', port, ...options() });
    try {
      await new Promise((r) => held.once('secureConnect', r));
      assert.equal(held.getPeerX509Certificate()?.serialNumber.toLowerCase(), pki.webapp.serial);
      // Garbage first: the bad update is ignored and the old certificate keeps serving.
      fs.writeFileSync(path.join(d0, 'key.pem'), 'not a key');
      await new Promise((r) => setTimeout(r, 150));
      const during = await newSerial(port);
      assert.equal(during, pki.webapp.serial);
      install(second, d0);
      await eventually(async () => ((await newSerial(port)) === second.serial ? true : undefined), 'the rotated certificate');
      held.write('still here');
      const [echo] = (await Promise.race([
        new Promise((r) => held.once('data', (b) => r([b.toString()]))),
        new Promise((_, rej) => setTimeout(() => rej(new Error('no echo')), 2000)),
      ])) as string[];
      assert.equal(echo, 'still here');
    } finally {
      held.destroy();
      server.close();
      d.factory.close();
    }
  });

  async function newSerial(port: number): Promise<string | undefined> {
    return new Promise((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port, ...options() }, () => {
        resolve(s.getPeerX509Certificate()?.serialNumber.toLowerCase());
        s.destroy();
      });
      s.on('error', () => resolve(undefined));
    });
  }

  it('follows a Kubernetes-style ..data symlink swap in a watched directory', async () => {
    const root = freshDir();
    const v1 = path.join(root, '..v1');
    const v2 = path.join(root, '..v2');
    fs.mkdirSync(v1);
    fs.mkdirSync(v2);
    install(pki.webapp, v1);
    install(second, v2);
    fs.symlinkSync('..v1', path.join(root, '..data'));
    fs.symlinkSync('..data/cert.pem', path.join(root, 'tls.crt'));
    fs.symlinkSync('..data/key.pem', path.join(root, 'tls.key'));
    const d = makeDownstream({
      common_tls_context: {
        tls_certificates: [
          { certificate_chain: file(path.join(root, 'tls.crt')), private_key: file(path.join(root, 'tls.key')), watched_directory: { path: root } },
        ],
      },
    });
    const server = await serveTls(d.factory);
    try {
      assert.equal((await connectTls(server.port, options())).serverSerial, pki.webapp.serial);
      fs.symlinkSync('..v2', path.join(root, '..data_tmp'));
      fs.renameSync(path.join(root, '..data_tmp'), path.join(root, '..data'));
      await eventually(async () => ((await connectTls(server.port, options())).serverSerial === second.serial ? true : undefined), 'the swapped certificate');
    } finally {
      await server.close();
      d.factory.close();
    }
  });

  it('serves secrets from a path_config_source SDS file and reloads it on change', async () => {
    const d0 = freshDir();
    const sdsFile = path.join(d0, 'sds.yaml');
    const secretYaml = (leaf: LeafFiles, ca: string) =>
      [
        'resources:',
        '- "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
        '  name: server_cert',
        '  tls_certificate:',
        `    certificate_chain: { inline_string: ${JSON.stringify(pki.read(leaf.chain))} }`,
        `    private_key: { filename: ${JSON.stringify(leaf.key)} }`,
        '- "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
        '  name: validation',
        '  validation_context:',
        `    trusted_ca: { filename: ${JSON.stringify(ca)} }`,
      ].join('\n');
    fs.writeFileSync(sdsFile, secretYaml(pki.webapp, pki.root.cert));
    const secrets = new SecretManager();
    const sds = { path_config_source: { path: sdsFile } };
    const d = makeDownstream(
      {
        require_client_certificate: true,
        common_tls_context: {
          tls_certificate_sds_secret_configs: [{ name: 'server_cert', sds_config: sds }],
          validation_context_sds_secret_config: { name: 'validation', sds_config: sds },
        },
      },
      secrets,
    );
    const server = await serveTls(d.factory);
    const client = { cert: pki.read(pki.client.chain), key: pki.read(pki.client.key) };
    const other = { cert: pki.read(pki.otherClient.chain), key: pki.read(pki.otherClient.key) };
    try {
      const first = await connectTls(server.port, { ...options(), ...client });
      assert.equal(first.serverSerial, pki.webapp.serial);
      assert.equal(first.ok, true);
      assert.equal((await connectTls(server.port, { ...options(), ...other })).ok, false);
      // Rotate the server certificate and trust the other CA instead.
      fs.writeFileSync(sdsFile, secretYaml(second, pki.other.cert));
      await eventually(async () => ((await connectTls(server.port, { ...options(), ...other })).ok ? true : undefined), 'the new validation context');
      const after = await connectTls(server.port, { ...options(), ...other });
      assert.equal(after.serverSerial, second.serial);
      assert.equal((await connectTls(server.port, { ...options(), ...client })).ok, false);
      assert.deepEqual(secrets.entries().map((e) => e.name).sort(), ['server_cert', 'validation']);
    } finally {
      await server.close();
      d.factory.close();
      secrets.close();
    }
  });

  it('rejects a missing secret or a broken SDS file at config time, without quoting keys', () => {
    const d0 = freshDir();
    const sdsFile = path.join(d0, 'sds.yaml');
    const ctx = (name: string) => ({ common_tls_context: { tls_certificate_sds_secret_configs: [{ name, sds_config: { path_config_source: { path: sdsFile } } }] } });
    fs.writeFileSync(sdsFile, 'resources: []\n');
    assert.throws(() => makeDownstream(ctx('server_cert')), /tls_certificate_sds_secret_configs\[0\]\.name: SDS file .*sds\.yaml holds no secret named server_cert/);
    const key = pki.read(pki.webapp.key);
    fs.writeFileSync(
      sdsFile,
      `resources:\n- "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret\n  name: s\n  tls_certificate:\n    private_key: ${JSON.stringify(key)}\n`,
    );
    assert.throws(
      () => makeDownstream(ctx('s')),
      (err: Error) => /private_key: invalid value \(not shown: sensitive field\)/.test(err.message) && !err.message.includes('BEGIN'),
    );
    assert.throws(() => makeDownstream({ common_tls_context: { tls_certificate_sds_secret_configs: [{ name: 'nope' }] } }), /Unknown static secret: nope/);
  });
});
