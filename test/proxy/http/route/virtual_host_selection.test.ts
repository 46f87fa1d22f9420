// Virtual host selection by :authority, with Envoy's precedence and config checks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertRejected, request, table } from './fixtures.js';
import type { RouteTable } from '../../../../src/proxy/http/route/route_table.js';

function vhostFor(t: RouteTable, authority: string | undefined): string | undefined {
  return t.findVirtualHost(authority)?.name;
}

const HOSTS = `
virtual_hosts:
- { name: exact, domains: ["api.example.com"], routes: [{ match: { prefix: "/" }, direct_response: { status: 200 } }] }
- { name: suffix_short, domains: ["*.example.com"], routes: [] }
- { name: suffix_long, domains: ["*.api.example.com"], routes: [] }
- { name: suffix_nodot, domains: ["*-bar.example.com"], routes: [] }
- { name: prefix_short, domains: ["api.*"], routes: [] }
- { name: prefix_long, domains: ["api.example.*"], routes: [] }
- { name: default, domains: ["*"], routes: [] }
`;

describe('virtual host selection', () => {
  const t = table(HOSTS);

  it('prefers an exact domain over every wildcard', () => {
    assert.equal(vhostFor(t, 'api.example.com'), 'exact');
  });

  it('picks the longest matching *suffix', () => {
    assert.equal(vhostFor(t, 'v1.api.example.com'), 'suffix_long');
    assert.equal(vhostFor(t, 'www.example.com'), 'suffix_short');
    // "*-bar.example.com" is longer than "*.example.com": it wins for foo-bar.example.com
    assert.equal(vhostFor(t, 'foo-bar.example.com'), 'suffix_nodot');
  });

  it('tries suffix wildcards before prefix wildcards', () => {
    // matches both "*.example.com" and "api.example.*"
    assert.equal(vhostFor(t, 'api.example.com.example.com'), 'suffix_short');
  });

  it('picks the longest matching prefix* when no suffix matches', () => {
    assert.equal(vhostFor(t, 'api.example.org'), 'prefix_long');
    assert.equal(vhostFor(t, 'api.other.net'), 'prefix_short');
  });

  it('falls back to "*"', () => {
    assert.equal(vhostFor(t, 'unknown.test'), 'default');
  });

  it('does not let a wildcard match the empty string it stands for', () => {
    // "*.example.com" needs at least one character before ".example.com"
    assert.equal(vhostFor(t, '.example.com'), 'default');
    assert.equal(vhostFor(t, 'api.'), 'default');
  });

  it('matches host names case-insensitively, on both sides', () => {
    const mixed = table(`
virtual_hosts:
- { name: a, domains: ["Shop.Example.COM"], routes: [] }
- { name: b, domains: ["*.Example.com"], routes: [] }
`);
    assert.equal(vhostFor(mixed, 'SHOP.example.com'), 'a');
    assert.equal(vhostFor(mixed, 'WWW.EXAMPLE.COM'), 'b');
  });

  it('has no virtual host for an unknown host without "*"', () => {
    const t2 = table(`virtual_hosts: [{ name: a, domains: ["a.com"], routes: [] }]`);
    assert.equal(vhostFor(t2, 'b.com'), undefined);
    assert.equal(t2.route(request('b.com', '/')), null);
  });

  it('sends everything to a lone "*" virtual host, even a request without a host', () => {
    const t2 = table(`virtual_hosts: [{ name: only, domains: ["*"], routes: [] }]`);
    assert.equal(vhostFor(t2, undefined), 'only');
  });
});

describe('virtual host selection with ports', () => {
  const t = table(`
virtual_hosts:
- { name: bare, domains: ["shop.com"], routes: [] }
- { name: with_port, domains: ["shop.com:8080"], routes: [] }
- { name: v6, domains: ["[::1]"], routes: [] }
- { name: wild, domains: ["*.shop.com"], routes: [] }
- { name: prefix, domains: ["cart.*"], routes: [] }
`);

  it('matches the host header as sent: a port is part of the name', () => {
    assert.equal(vhostFor(t, 'shop.com'), 'bare');
    assert.equal(vhostFor(t, 'shop.com:8080'), 'with_port');
    assert.equal(vhostFor(t, 'shop.com:9090'), undefined);
    // a suffix wildcard does not reach past the port
    assert.equal(vhostFor(t, 'a.shop.com:80'), undefined);
    // a prefix wildcard swallows it
    assert.equal(vhostFor(t, 'cart.shop.com:80'), 'prefix');
  });

  it('ignore_port_in_host_matching strips the port before matching', () => {
    const ignoring = table(`
ignore_port_in_host_matching: true
virtual_hosts:
- { name: bare, domains: ["shop.com"], routes: [] }
- { name: v6, domains: ["[::1]"], routes: [] }
- { name: wild, domains: ["*.shop.com"], routes: [] }
`);
    assert.equal(vhostFor(ignoring, 'shop.com:9090'), 'bare');
    assert.equal(vhostFor(ignoring, 'a.shop.com:80'), 'wild');
    assert.equal(vhostFor(ignoring, '[::1]:8443'), 'v6');
    assert.equal(vhostFor(ignoring, '[::1]'), 'v6');
  });
});

describe('virtual host config checks', () => {
  it('rejects a domain listed twice, naming it and both virtual hosts', () => {
    const err = assertRejected(
      () =>
        table(`
name: local_route
virtual_hosts:
- { name: one, domains: ["a.com", "*.b.com"], routes: [] }
- { name: two, domains: ["*.B.com"], routes: [] }
`),
      /domain "\*\.b\.com" must be unique .*"one" and "two"/,
    );
    assert.equal(err.issues[0]!.path, 'route_config.virtual_hosts[1].domains');
  });

  it('rejects a second "*"', () => {
    assertRejected(
      () => table(`virtual_hosts: [{ name: one, domains: ["*"], routes: [] }, { name: two, domains: ["*"], routes: [] }]`),
      /only a single wildcard domain "\*" is permitted/,
    );
  });

  it('rejects a wildcard in the middle of a domain', () => {
    assertRejected(() => table(`virtual_hosts: [{ name: one, domains: ["api.*.com"], routes: [] }]`), /"api\.\*\.com".*first or last character/);
  });

  it('rejects a virtual host without domains (a proto rule)', () => {
    assert.throws(() => table(`virtual_hosts: [{ name: one, domains: [], routes: [] }]`), /domains/);
  });
});
