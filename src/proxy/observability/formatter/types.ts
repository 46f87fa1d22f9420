// What a format string (access logs, header values such as `%DOWNSTREAM_REMOTE_ADDRESS%`,
// local reply bodies) can read when it is rendered.
import type { HeaderMap } from '../../http/header_map.js';
import type { StreamInfo } from '../../http/stream_info.js';
import type { ConnectionInfo } from '../../http/connection_info.js';

export interface FormatContext {
  streamInfo: StreamInfo;
  connection?: ConnectionInfo;
  requestHeaders?: HeaderMap;
  responseHeaders?: HeaderMap;
  responseTrailers?: HeaderMap;
  /** Body of a local reply, for %LOCAL_REPLY_BODY%. */
  localReplyBody?: string;
}

export interface Formatter {
  format(context: FormatContext): string;
}
