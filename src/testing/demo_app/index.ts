// The seed-004 demo app (HOST/PORT/APP_NAME/GLOBAL_PREFIX env).
export { DEMO_APP_DEFAULT_PORT, demoAppHandler, normalizePrefix, startDemoApp, type DemoAppOptions } from './server.js';
