// The protoc-gen-validate rules, checked over an already parsed message. Envoy
// parses -c and --config-yaml separately (schema only), merges them, and only then
// validates the result; skein does the same with ProtoJsonReader's `skipRules`
// followed by this pass. Field lines come from the spans kept while parsing
// (JsonReadOptions.keepFieldSpans), so problems still name file:line.
import protobuf from 'protobufjs';
import { findMessageType } from '../proto/root.js';
import type { SourceSpan } from '../yaml/source.js';
import { ProtoJsonReader, type Location } from './from-json.js';
import type { ConfigIssue } from './issues.js';
import { checkRepeated, fieldRules, type Rules } from './pgv.js';
import { spanOf } from './spans.js';

class RuleChecker extends ProtoJsonReader {
  checkMessage(type: protobuf.Type, value: unknown, loc: Location): void {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
    const message = value as Record<string, unknown>;
    if (type.fullName === '.google.protobuf.Any') {
      const inner = findMessageType(String(message['@type'] ?? ''));
      if (inner && !inner.fullName.startsWith('.google.protobuf.')) this.checkMessage(inner, message, loc);
      return;
    }
    if (type.fullName.startsWith('.google.protobuf.')) return; // no rules inside the other well-known types
    const chosen = new Set<string>();
    for (const field of type.fieldsArray) {
      const v = message[field.name];
      if (v === undefined) continue;
      if (field.partOf) chosen.add(field.partOf.name);
      this.checkField(field, v, this.child(loc, message, field.name, field.name));
    }
    this.checkAbsentFields(type, message, loc, message);
    this.checkRequiredOneofs(type, chosen, loc);
  }

  private checkField(field: protobuf.Field, value: unknown, loc: Location): void {
    const rules = fieldRules(field);
    if (field.map) {
      const entries = Object.entries(value as Record<string, unknown>);
      for (const [k, v] of entries) this.checkSingular(field, v, this.child(loc, value, k, k), rules?.map?.values);
      if (rules?.map?.min_pairs !== undefined && entries.length < Number(rules.map.min_pairs)) this.fail(loc, `needs at least ${rules.map.min_pairs} entries`);
      return;
    }
    if (field.repeated) {
      const items = value as unknown[];
      items.forEach((item, i) => this.checkSingular(field, item, this.child(loc, items, i, String(i)), rules?.repeated?.items));
      if (rules?.repeated) {
        const problem = checkRepeated(items.length, rules.repeated);
        if (problem) this.fail(loc, problem);
        if (rules.repeated.unique && new Set(items.map((v) => JSON.stringify(v))).size !== items.length) this.fail(loc, 'items must be unique');
      }
      return;
    }
    this.checkSingular(field, value, loc, rules ?? undefined);
  }

  private checkSingular(field: protobuf.Field, value: unknown, loc: Location, rules: Rules | undefined): void {
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Type) {
      this.checkMessage(resolved, value, loc);
      if (rules) this.checkMessageRules(resolved, value, rules, loc);
    } else if (resolved instanceof protobuf.Enum) {
      if (rules?.enum && (typeof value === 'string' || typeof value === 'number')) this.checkEnumRules(resolved, value, rules, loc);
    } else if (rules) {
      this.checkScalarRules(field.type, value, rules, loc);
    }
  }
}

/**
 * Checks the validation rules of `message` (a parsed `typeName`); returns every
 * problem found. `fallbackSpan` places problems whose own line is unknown.
 */
export function validateParsedMessage(typeName: string, message: unknown, options: { fallbackSpan?: SourceSpan; pathPrefix?: string } = {}): ConfigIssue[] {
  const type = findMessageType(typeName);
  if (!type) throw new Error(`unknown message type ${typeName}`);
  const checker = new RuleChecker({ fallbackSpan: options.fallbackSpan ?? spanOf(message), pathPrefix: options.pathPrefix });
  checker.checkMessage(type, message, { path: options.pathPrefix ?? '', container: undefined, key: '' });
  return checker.issues;
}
