// Reading the first bytes of an accepted socket without consuming them, the way Envoy's
// listener filters MSG_PEEK. Node has no peek, so the bytes are read in paused mode and
// unshifted back, in order, before the promise settles: whoever reads the socket next
// (the next listener filter, the TLS transport socket, node:http in the HCM) sees the
// stream from its first byte.
//
// Unshifting must happen in the same tick as the last read(): at end of stream Node
// schedules 'end' for the next tick if the buffer is empty, and refuses unshift after it.
// The listener's listener_filters_timeout calls stopPeeking() to make a peek give its
// bytes back early (continue_on_listener_filters_timeout).
import type { Socket } from 'node:net';

export type PeekOutcome<T> =
  | { kind: 'decided'; value: T; bytes: number }
  /** The peer half-closed (or closed) before the inspector could decide. */
  | { kind: 'closed'; bytes: number }
  /** stopPeeking() was called (listener filter timeout). */
  | { kind: 'stopped'; bytes: number };

/** Sees each new chunk; returns a value to stop peeking, undefined to wait for more. */
export type PeekInspector<T> = (chunk: Buffer, total: number) => T | undefined;

const active = new WeakMap<Socket, () => void>();

export function peek<T>(socket: Socket, inspect: PeekInspector<T>): Promise<PeekOutcome<T>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;

    const finish = (outcome: PeekOutcome<T> | Error, giveBack: boolean) => {
      if (done) return;
      done = true;
      active.delete(socket);
      socket.off('readable', onReadable);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onEnd);
      if (giveBack && total > 0 && !socket.destroyed) socket.unshift(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onReadable = () => {
      let chunk: Buffer | null;
      while (!done && (chunk = socket.read() as Buffer | null) !== null) {
        chunks.push(chunk);
        total += chunk.length;
        let value: T | undefined;
        try {
          value = inspect(chunk, total);
        } catch (err) {
          // An inspector bug must not escape an event handler (and crash the process):
          // the filter's promise rejects and the listener closes this one connection.
          finish(err instanceof Error ? err : new Error(String(err)), false);
          return;
        }
        if (value !== undefined) finish({ kind: 'decided', value, bytes: total }, true);
      }
    };
    // Bytes cannot be unshifted once 'end' is out; the listener closes such connections.
    const onEnd = () => finish({ kind: 'closed', bytes: total }, false);

    if (socket.destroyed || socket.readableEnded) {
      resolve({ kind: 'closed', bytes: 0 });
      return;
    }
    active.set(socket, () => finish({ kind: 'stopped', bytes: total }, true));
    socket.on('readable', onReadable);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onEnd);
    // Bytes an earlier peek gave back may not raise a new 'readable' (Node applies the
    // removal of that peek's listener on the next tick), so read what is buffered now.
    if (socket.readableLength > 0) onReadable();
  });
}

/** Ends any peek in progress on the socket now, handing back what it read. */
export function stopPeeking(socket: Socket): void {
  active.get(socket)?.();
}
