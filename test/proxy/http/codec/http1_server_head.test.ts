// The codec's header translations without sockets: absolute-form targets and the
// framing / Connection rules of a response head.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Framing, serializeResponseHead, splitAbsoluteForm } from '../../../../src/proxy/http/codec/http1/server_head.js';
import { HeaderMap } from '../../../../src/proxy/http/header_map.js';

describe('absolute-form request targets', () => {
  it('split into authority and path as written', () => {
    assert.deepEqual(splitAbsoluteForm('http://a.example:8080/p/q?x=1'), { authority: 'a.example:8080', path: '/p/q?x=1' });
    assert.deepEqual(splitAbsoluteForm('HTTPS://a.example'), { authority: 'a.example', path: '/' });
    assert.deepEqual(splitAbsoluteForm('http://a.example?x=1'), { authority: 'a.example', path: '/?x=1' });
    assert.deepEqual(splitAbsoluteForm('http://user:pw@a.example/p'), { authority: 'a.example', path: '/p' });
    assert.equal(splitAbsoluteForm('ftp://a.example/p'), undefined);
    assert.equal(splitAbsoluteForm('*'), undefined);
  });
});

describe('response heads', () => {
  const h = (entries: Record<string, string>): HeaderMap => HeaderMap.from(entries);
  const ctx = { http10: false, isHead: false, closeAfter: false, endStream: false };

  it('Content-Length framing wins; without it HTTP/1.1 streams chunked', () => {
    assert.deepEqual(serializeResponseHead(h({ ':status': '200', 'content-length': '3' }), ctx), {
      head: 'HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\n',
      framing: Framing.Length,
      closeAfter: false,
    });
    assert.equal(serializeResponseHead(h({ ':status': '200' }), ctx)?.framing, Framing.Chunked);
  });

  it('HTTP/1.0: read-until-close for unknown lengths, keep-alive only when the length is known', () => {
    const streamed = serializeResponseHead(h({ ':status': '200' }), { ...ctx, http10: true })!;
    assert.equal(streamed.framing, Framing.UntilClose);
    assert.equal(streamed.closeAfter, true);
    assert.equal(streamed.head, 'HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n');
    const sized = serializeResponseHead(h({ ':status': '200', 'content-length': '0' }), { ...ctx, http10: true })!;
    assert.equal(sized.head, 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: keep-alive\r\n\r\n');
  });

  it('unknown status codes get "Unknown"; bad statuses and CR/LF values are refused', () => {
    assert.equal(serializeResponseHead(h({ ':status': '299', 'content-length': '0' }), ctx)?.head, 'HTTP/1.1 299 Unknown\r\ncontent-length: 0\r\n\r\n');
    assert.equal(serializeResponseHead(h({ ':status': 'abc' }), ctx), undefined);
    assert.equal(serializeResponseHead(h({ ':status': '200', 'x-a': 'v\nx' }), ctx), undefined);
    assert.equal(serializeResponseHead(h({ ':status': '200', 'x a': 'v' }), ctx), undefined);
  });
});
