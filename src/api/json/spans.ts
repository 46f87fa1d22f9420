// Remembers where each parsed message came from, so checks made after parsing
// (a route naming a missing cluster, say) can still point at file:line.
import type { SourceSpan } from '../yaml/source.js';

const spans = new WeakMap<object, SourceSpan>();

export function recordSpan(message: object, span: SourceSpan): void {
  spans.set(message, span);
}

export function spanOf(message: unknown): SourceSpan | undefined {
  return message !== null && typeof message === 'object' ? spans.get(message) : undefined;
}
