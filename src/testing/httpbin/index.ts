// The built-in go-httpbin compatible test service.
export { startHttpbin, type HttpbinOptions } from './server.js';
export type { RunningServer } from './listen.js';
