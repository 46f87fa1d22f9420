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

// Where each field (or list item, or map entry) of a parsed message was written.
// Kept only when asked (JsonReadOptions.keepFieldSpans): it lets the validation
// rules run after two sources were merged and still name the exact line.
const fieldSpans = new WeakMap<object, Map<string | number, SourceSpan>>();

export function recordFieldSpan(container: object, key: string | number, span: SourceSpan | undefined): void {
  if (!span) return;
  let keys = fieldSpans.get(container);
  if (!keys) fieldSpans.set(container, (keys = new Map()));
  keys.set(key, span);
}

export function fieldSpanOf(container: unknown, key: string | number): SourceSpan | undefined {
  return container !== null && typeof container === 'object' ? fieldSpans.get(container)?.get(key) : undefined;
}

/** Copies the field spans of `from` onto `to` (same keys, e.g. when a message is rebuilt). */
export function copyFieldSpans(from: object, to: object): void {
  const keys = fieldSpans.get(from);
  if (keys) for (const [k, span] of keys) recordFieldSpan(to, k, span);
}
