// Where a 101 response's head ends inside the chunk that completed it, so the bytes
// after it (the upgraded protocol's first bytes) can be handed back with the socket.
// Http1Parser.execute does not report how many bytes llhttp consumed (Node's binding
// knows), so this re-finds the blank line: the head ends at an LF followed by LF or
// CRLF (llhttp also accepts bare-LF line ends). Only the current request's bytes are
// involved: 1xx heads (no bodies) and then the 101 head.

const LF = 0x0a;
const CR = 0x0d;

/**
 * Offset in `chunk` just past the `nth` head terminator (1-based) whose last byte lies
 * in `chunk`; `carry` is the tail of the previous chunk of the same response (a
 * terminator may straddle chunks). Returns `chunk.length` if not found.
 */
export function headEndOffset(chunk: Buffer, nth: number, carry?: Buffer): number {
  const tail = carry && carry.length ? carry.subarray(Math.max(0, carry.length - 2)) : undefined;
  const data = tail ? Buffer.concat([tail, chunk]) : chunk;
  const shift = tail ? tail.length : 0;
  let seen = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== LF) continue;
    let end = -1;
    if (data[i + 1] === LF) end = i + 2;
    else if (data[i + 1] === CR && data[i + 2] === LF) end = i + 3;
    if (end < 0 || end - 1 < shift) continue;
    seen++;
    if (seen === nth) return end - shift;
    i = end - 1;
  }
  return chunk.length;
}
