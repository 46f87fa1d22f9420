// skein's version, read once from package.json.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const SKEIN_VERSION: string = (require('../../../package.json') as { version: string }).version;
