// The gRPC status of a finished stream, found the way Envoy finds it for access logs:
// response trailers first, then headers (a trailers-only response), else inferred from
// the HTTP status. Shared by %GRPC_STATUS% and the grpc_status_filter.
import type { FormatContext } from './types.js';

/** Canonical names by code, as envoy.config.accesslog.v3.GrpcStatusFilter.Status spells them. */
export const GRPC_STATUS_NAMES = [
  'OK', 'CANCELED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE',
  'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
] as const;

const CAMEL_NAMES = [
  'Ok', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists',
  'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange',
  'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated',
];

/** Snake names follow gRPC's own spelling (CANCELLED), which differs from the proto enum. */
const SNAKE_NAMES = GRPC_STATUS_NAMES.map((n) => (n === 'CANCELED' ? 'CANCELLED' : n));

/** The gRPC spec's HTTP → gRPC status mapping for responses without grpc-status. */
export function httpToGrpcStatus(httpStatus: number): number {
  switch (httpStatus) {
    case 400: return 13; // INTERNAL
    case 401: return 16; // UNAUTHENTICATED
    case 403: return 7; // PERMISSION_DENIED
    case 404: return 12; // UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
    case 504: return 14; // UNAVAILABLE
    default: return 2; // UNKNOWN
  }
}

function parseStatus(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

export function grpcStatusOf(ctx: FormatContext): number | undefined {
  const fromHeaders =
    parseStatus(ctx.responseTrailers?.get('grpc-status')) ?? parseStatus(ctx.responseHeaders?.get('grpc-status'));
  if (fromHeaders !== undefined) return fromHeaders;
  const code = ctx.streamInfo.responseCode;
  return code ? httpToGrpcStatus(code) : undefined;
}

export function isGrpcRequest(ctx: FormatContext): boolean {
  const ct = ctx.requestHeaders?.get('content-type');
  return ct !== undefined && (ct === 'application/grpc' || ct.startsWith('application/grpc+') || ct.startsWith('application/grpc;'));
}

export type GrpcStatusStyle = 'CAMEL_STRING' | 'SNAKE_STRING' | 'NUMBER';

export function grpcStatusText(code: number, style: GrpcStatusStyle): string | number {
  if (style === 'NUMBER') return code;
  const names = style === 'CAMEL_STRING' ? CAMEL_NAMES : SNAKE_NAMES;
  return names[code] ?? String(code);
}
