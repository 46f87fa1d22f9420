// Importing this module registers every extension skein ships (filters, loggers,
// transport sockets), each from its own folder.
import '../network/http_connection_manager/config.js';
import '../filters/router/config.js';
import '../observability/access_log/index.js';
import '../filters/buffer/config.js';
import '../filters/cors/config.js';
import '../filters/fault/config.js';
import '../listener/filters/index.js';
import '../tls/register.js';
import '../network/tcp_proxy/config.js';
