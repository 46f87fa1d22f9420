// peek(): reading the start of a socket and giving it back, including at end of stream.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { peek, stopPeeking } from '../../../../src/proxy/listener/filters/peek.js';
import { readAll, socketPair } from './helpers.js';

describe('peek', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const fn of cleanups.splice(0)) fn();
  });

  it('peeks repeatedly at the same bytes; the last reader still gets them and the end', async () => {
    const pair = await socketPair();
    cleanups.push(pair.close);
    pair.client.end('hello world');
    const first = await peek(pair.accepted, (_c, total) => (total >= 5 ? 'five' : undefined));
    const second = await peek(pair.accepted, (_c, total) => (total >= 11 ? 'all' : undefined));
    assert.deepEqual([first.kind, second.kind], ['decided', 'decided']);
    assert.equal((await readAll(pair.accepted)).toString(), 'hello world');
  });

  it('reports a peer that ends before a decision as closed', async () => {
    const pair = await socketPair();
    cleanups.push(pair.close);
    pair.client.end('abc');
    assert.deepEqual(await peek(pair.accepted, () => undefined), { kind: 'closed', bytes: 3 });
  });

  it('stopPeeking with nothing read yet resolves at once', async () => {
    const pair = await socketPair();
    cleanups.push(pair.close);
    const p = peek(pair.accepted, () => 'x');
    stopPeeking(pair.accepted);
    assert.deepEqual(await p, { kind: 'stopped', bytes: 0 });
    pair.client.end('later');
    assert.equal((await readAll(pair.accepted)).toString(), 'later');
  });

  it('an inspector that throws rejects the peek instead of crashing the process', async () => {
    const pair = await socketPair();
    cleanups.push(pair.close);
    pair.client.write('x');
    await assert.rejects(
      peek(pair.accepted, () => {
        throw new Error('inspector bug');
      }),
      /inspector bug/,
    );
  });
});
