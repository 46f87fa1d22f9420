// Response bytes leave in as few socket writes as possible: a head, a body chunk and
// its chunked-encoding frame (or the last-chunk marker) become one write, because on
// small responses the syscall, not the copy, is what costs.
import type { Duplex } from 'node:stream';

/** Head + body up to this size are copied into one buffer; bigger bodies are corked instead. */
const COALESCE_BYTES = 16 * 1024;

/** Writes `head` (latin1), `body` and `tail` (latin1); returns socket.write()'s back-pressure answer. */
export function writeCoalesced(socket: Duplex, head: string | undefined, body: Buffer | undefined, tail: string | undefined): boolean {
  const pre = head ?? '';
  if (body === undefined) {
    const text = tail === undefined ? pre : pre + tail;
    return text.length ? socket.write(text, 'latin1') : true;
  }
  const post = tail ?? '';
  if (pre.length === 0 && post.length === 0) return socket.write(body);
  if (body.length <= COALESCE_BYTES) {
    const out = Buffer.allocUnsafe(pre.length + body.length + post.length);
    if (pre.length) out.write(pre, 0, 'latin1');
    body.copy(out, pre.length);
    if (post.length) out.write(post, pre.length + body.length, 'latin1');
    return socket.write(out);
  }
  socket.cork();
  if (pre.length) socket.write(pre, 'latin1');
  let ok = socket.write(body);
  if (post.length) ok = socket.write(post, 'latin1');
  socket.uncork();
  return ok;
}
