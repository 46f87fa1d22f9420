// Writes src/api/proto/type-index.generated.json: the .proto file defining each
// message and enum skein can load, so src/api/proto/root.ts parses only the files
// a config uses. test/api/proto checks the committed file against the protos.
// Run: npm run gen:types   (needs a built dist/, which it makes)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { protoPackageVersions } from '../dist/src/api/proto/files.js';
import { loadAllProtos } from '../dist/src/api/proto/root.js';
import { buildTypeIndex, formatTypeIndex, TYPE_INDEX_FILE } from '../dist/src/api/proto/type-index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, '..', 'src', 'api', 'proto', TYPE_INDEX_FILE);

const index = buildTypeIndex(loadAllProtos(), protoPackageVersions());
fs.writeFileSync(out, formatTypeIndex(index));
const files = Object.values(index.files);
const count = (kind) => files.reduce((n, f) => n + (f[kind]?.length ?? 0), 0);
console.log(`wrote ${out}: ${files.length} files, ${count('messages')} messages, ${count('enums')} enums`);
