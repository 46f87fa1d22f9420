// The built-in echo services: the Gateway API conformance echo backend and the book's tcp-echo.
export { echoHandler, startEcho, type EchoOptions } from './server.js';
export { startTcpEcho, type TcpEchoOptions } from './tcp.js';
