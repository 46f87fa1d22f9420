// Extensions register by type URL (DESIGN.md §4.2): each category (HTTP filters,
// network filters, access loggers, ...) has one registry, and config resolves
// `typed_config["@type"]` through it. A bare `name` with no typed_config also resolves,
// as Envoy still allows for well-known names like `envoy.filters.http.router`.
import { ConfigError } from '../../api/json/issues.js';
import { spanOf } from '../../api/json/spans.js';
import type { AnyMessage } from '../../api/json/wkt.js';

export interface ExtensionFactory {
  /** Canonical name first, then deprecated aliases (`envoy.router`). */
  readonly names: readonly string[];
  /** Config message type URLs this factory accepts. */
  readonly typeUrls: readonly string[];
}

export interface TypedExtensionConfig {
  name?: string;
  typed_config?: AnyMessage;
  is_optional?: boolean;
  disabled?: boolean;
}

export interface ResolvedExtension<F> {
  factory: F;
  /** The typed config without its `@type`, or {} when only a name was given. */
  config: Record<string, unknown>;
  name: string;
}

export class ExtensionRegistry<F extends ExtensionFactory> {
  private readonly byUrl = new Map<string, F>();
  private readonly byName = new Map<string, F>();

  constructor(readonly category: string) {}

  register(factory: F): F {
    for (const url of factory.typeUrls) this.byUrl.set(url, factory);
    for (const name of factory.names) this.byName.set(name, factory);
    return factory;
  }

  findByTypeUrl(url: string): F | undefined {
    return this.byUrl.get(url);
  }

  findByName(name: string): F | undefined {
    return this.byName.get(name);
  }

  knownNames(): string[] {
    return [...new Set([...this.byName.values()].map((f) => f.names[0]!))].sort();
  }

  /**
   * Finds the factory for one configured extension. Unknown types are a config
   * error naming `path`, unless the entry is optional (then undefined: skip it).
   */
  resolve(entry: TypedExtensionConfig, path: string): ResolvedExtension<F> | undefined {
    const name = entry.name ?? '';
    const typed = entry.typed_config;
    let factory: F | undefined;
    if (typed) {
      factory = this.byUrl.get(typed['@type']);
      if (!factory) {
        if (entry.is_optional) return undefined;
        throw ConfigError.single(
          `${path}.typed_config`,
          `${this.category} extension "${name}" has config type ${typed['@type']}, which skein does not implement` +
            ` (supported: ${this.knownNames().join(', ')}); mark it is_optional to skip it`,
          spanOf(typed) ?? spanOf(entry),
        );
      }
    } else {
      factory = this.byName.get(name);
      if (!factory) {
        if (entry.is_optional) return undefined;
        throw ConfigError.single(
          path,
          `unknown ${this.category} extension "${name}" (no typed_config given, and the name is not one skein knows: ${this.knownNames().join(', ')})`,
          spanOf(entry),
        );
      }
    }
    const { '@type': _type, ...config } = typed ?? { '@type': '' };
    return { factory, config, name: name || factory.names[0]! };
  }
}
