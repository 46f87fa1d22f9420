// Registers the listener filters skein ships. Imported once from extensions/builtin.ts.
import { listenerFilterRegistry } from '../listener_filter.js';
import { httpInspectorFactory } from './http_inspector.js';
import { tlsInspectorFactory } from './tls_inspector.js';

listenerFilterRegistry.register(tlsInspectorFactory);
listenerFilterRegistry.register(httpInspectorFactory);

export { tlsInspectorFactory, httpInspectorFactory };
