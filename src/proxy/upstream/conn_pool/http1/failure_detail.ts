// Envoy-style transport failure reasons for upstream HTTP/1 connections: what
// %UPSTREAM_TRANSPORT_FAILURE_REASON% and the router's debug log show.

/** Why a connect failed: "delayed connect error: 111", "connect timeout", "TLS_error:|...". */
export function connectFailureDetail(err: NodeJS.ErrnoException | undefined, timedOut: boolean, tcpConnected: boolean): string {
  if (timedOut) return 'connect timeout';
  if (!err) return 'connection closed before connect';
  if (tcpConnected) return `TLS_error:|${err.code ?? 'ERR'}:${err.message}:TLS_error_end`;
  if (err.syscall === 'connect' && typeof err.errno === 'number') return `delayed connect error: ${Math.abs(err.errno)}`;
  return err.code ? `${err.code}: ${err.message}` : err.message;
}

/** Why an established connection went away under a request. */
export function terminationDetail(err: NodeJS.ErrnoException | undefined): string {
  if (!err) return 'upstream closed the connection';
  return err.code ? `${err.code}: ${err.message}` : err.message;
}
