// A folder of raw Envoy resources served over xDS (`skein xds serve`): parse.ts reads
// one file, resolve.ts decides which file versions make a consistent whole,
// folder.ts turns that into versioned snapshots and source.ts follows the disk.
export { parseResourceFile, type FileResource, type ParsedFile } from './parse.js';
export { ResourceFolder, describeCounts, listResourceFiles, type FileReport, type FileStatus, type ScanResult } from './folder.js';
export { FileXdsSource, type FileSourceOptions, type SourceStatus } from './source.js';
