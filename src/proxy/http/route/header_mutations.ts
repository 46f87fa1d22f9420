// request_headers_to_add / _remove and the response equivalents, at route, virtual
// host and route-config level. Values may hold format operators such as
// %DOWNSTREAM_REMOTE_ADDRESS%, rendered per request.
import type { envoy } from '../../../api/envoy-types.generated.js';
import { ConfigError } from '../../../api/json/issues.js';
import { spanOf } from '../../../api/json/spans.js';
import { compileFormatString } from '../../observability/formatter/format_string.js';
import type { FormatContext, Formatter } from '../../observability/formatter/types.js';
import type { HeaderMap } from '../header_map.js';

type AppendAction = 'APPEND_IF_EXISTS_OR_ADD' | 'ADD_IF_ABSENT' | 'OVERWRITE_IF_EXISTS_OR_ADD' | 'OVERWRITE_IF_EXISTS';

interface CompiledHeaderValue {
  name: string;
  literal?: string;
  formatter?: Formatter;
  action: AppendAction;
  keepEmpty: boolean;
}

export class HeaderMutations {
  static readonly EMPTY = new HeaderMutations([], []);

  constructor(
    private readonly add: CompiledHeaderValue[],
    private readonly remove: string[],
  ) {}

  get isEmpty(): boolean {
    return this.add.length === 0 && this.remove.length === 0;
  }

  static compile(
    toAdd: envoy.config.core.v3.HeaderValueOption[] | undefined,
    toRemove: string[] | undefined,
    path: string,
    addField: string,
  ): HeaderMutations {
    const add = (toAdd ?? []).map((opt, i) => compileValue(opt, `${path}.${addField}[${i}]`));
    const remove = (toRemove ?? []).map((h) => h.toLowerCase());
    for (const h of remove) {
      if (!isModifiable(h)) throw ConfigError.single(`${path}.${addField.replace('_to_add', '_to_remove')}`, `":"-prefixed or host headers may not be removed ("${h}")`);
    }
    return add.length || remove.length ? new HeaderMutations(add, remove) : HeaderMutations.EMPTY;
  }

  /**
   * Envoy's HeaderParser::evaluateHeaders: removals first; then every value is rendered
   * against the headers as they are now (so one entry never sees another's effect);
   * then all overwrites are set, then all appends added.
   */
  apply(headers: HeaderMap, context: FormatContext): void {
    for (const name of this.remove) headers.remove(name);
    if (this.add.length === 0) return;
    const overwrite: Array<[string, string]> = [];
    const append: Array<[string, string]> = [];
    for (const h of this.add) {
      const value = h.formatter ? h.formatter.format(context) : h.literal!;
      if (value === '' && !h.keepEmpty) continue;
      switch (h.action) {
        case 'APPEND_IF_EXISTS_OR_ADD':
          append.push([h.name, value]);
          break;
        case 'ADD_IF_ABSENT':
          if (!headers.has(h.name)) append.push([h.name, value]);
          break;
        case 'OVERWRITE_IF_EXISTS':
          if (headers.has(h.name)) overwrite.push([h.name, value]);
          break;
        case 'OVERWRITE_IF_EXISTS_OR_ADD':
          overwrite.push([h.name, value]);
          break;
      }
    }
    for (const [name, value] of overwrite) headers.set(name, value);
    for (const [name, value] of append) headers.add(name, value);
  }
}

/** Pseudo-headers and Host belong to the route's rewrite options, not to header mutations. */
function isModifiable(name: string): boolean {
  return !name.startsWith(':') && name !== 'host';
}

function compileValue(opt: envoy.config.core.v3.HeaderValueOption, path: string): CompiledHeaderValue {
  const name = (opt.header?.key ?? '').toLowerCase();
  if (!name) throw ConfigError.single(`${path}.header.key`, 'header name is required', spanOf(opt));
  if (!isModifiable(name)) throw ConfigError.single(`${path}.header.key`, `":"-prefixed or host headers may not be modified ("${name}")`, spanOf(opt));
  let action: AppendAction = (opt.append_action as AppendAction | undefined) ?? 'APPEND_IF_EXISTS_OR_ADD';
  if (opt.append !== undefined) {
    // The deprecated BoolValue `append`: true appends, false overwrites. It may only
    // be combined with append_action left at its default.
    if (action !== 'APPEND_IF_EXISTS_OR_ADD') {
      throw ConfigError.single(path, 'both "append" and "append_action" are set; use only "append_action"', spanOf(opt));
    }
    action = opt.append.value === false ? 'OVERWRITE_IF_EXISTS_OR_ADD' : 'APPEND_IF_EXISTS_OR_ADD';
  }
  const raw = opt.header?.value ?? (opt.header?.raw_value ? Buffer.from(opt.header.raw_value).toString('utf8') : '');
  const compiled: CompiledHeaderValue = { name, action, keepEmpty: opt.keep_empty_value === true };
  if (raw.includes('%')) {
    try {
      compiled.formatter = compileFormatString(raw, { forHeaderValue: true });
    } catch (err) {
      throw ConfigError.single(`${path}.header.value`, (err as Error).message, spanOf(opt));
    }
  } else compiled.literal = raw;
  return compiled;
}
