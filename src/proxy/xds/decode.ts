// Turning a response's packed resources into validated in-memory messages. This sits
// in the engine, not in the managers, so every update is held to the same rules as a
// YAML bootstrap (DESIGN.md §4.1) before anything is applied, and a bad resource is
// NACKed as a whole response with a message naming the resource and the field path.
import { formatIssue } from '../../api/json/issues.js';
import { validateParsedMessage } from '../../api/json/validate.js';
import { unpackAny } from '../../api/proto/binary.js';
import { typeNameOfUrl } from '../../api/proto/root.js';
import { resourceName } from '../../api/xds/resource_types.js';
import type { DecodedResource } from './types.js';
import { decodeResourceWrapper, RESOURCE_WRAPPER_TYPE, type RawAny, type RawResource } from './wire.js';

/** A response the engine refuses; the message becomes the NACK's error_detail. */
export class RejectedUpdate extends Error {
  constructor(
    message: string,
    /** The first resource that failed, when known: shown by config_dump's error_state. */
    readonly resourceName?: string,
    readonly failedConfiguration?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'RejectedUpdate';
  }
}

/** `Listener`, `Cluster`, `ClusterLoadAssignment`, ... for messages. */
export function shortTypeName(typeUrl: string): string {
  const full = typeNameOfUrl(typeUrl);
  return full.slice(full.lastIndexOf('.') + 1);
}

interface Problem {
  message: string;
  name?: string;
  config?: Record<string, unknown>;
}

class ResourceDecoder {
  readonly decoded: DecodedResource[] = [];
  private readonly problems: Problem[] = [];
  private readonly seen = new Set<string>();
  private readonly kind: string;

  constructor(private readonly typeUrl: string) {
    this.kind = shortTypeName(typeUrl);
  }

  /** `given` names the resource from outside (delta's Resource.name or a wrapper). */
  add(any: RawAny, where: string, given?: { name: string; version?: string }): void {
    if (any.type_url !== this.typeUrl) {
      this.problems.push({ message: `${where}: type URL ${any.type_url || '(empty)'} does not match the message-wide type URL ${this.typeUrl}` });
      return;
    }
    let message: Record<string, unknown>;
    try {
      message = unpackAny(any);
    } catch (err) {
      this.problems.push({ message: `${where}: cannot decode ${this.kind}: ${(err as Error).message}`, name: given?.name });
      return;
    }
    const { '@type': _type, ...resource } = message;
    const name = given?.name || resourceName(this.typeUrl, resource);
    if (!name) {
      this.problems.push({ message: `${where}: ${this.kind} has no name`, config: message });
      return;
    }
    if (this.seen.has(name)) {
      this.problems.push({ message: `duplicate ${this.kind} "${name}" in one response`, name });
      return;
    }
    this.seen.add(name);
    const issues = validateParsedMessage(this.typeUrl, resource);
    if (issues.length) {
      this.problems.push({ message: `${this.kind} "${name}": ${issues.map(formatIssue).join('; ')}`, name, config: message });
      return;
    }
    this.decoded.push(given?.version !== undefined ? { name, version: given.version, resource } : { name, resource });
  }

  fail(message: string): void {
    this.problems.push({ message });
  }

  /** Names removed in the same delta response must not also be added. */
  checkRemoved(removed: readonly string[]): void {
    const once = new Set<string>();
    for (const name of removed) {
      if (this.seen.has(name) || once.has(name)) this.problems.push({ message: `${this.kind} "${name}" appears twice among added and removed resources`, name });
      once.add(name);
    }
  }

  result(): DecodedResource[] {
    if (this.problems.length) {
      const first = this.problems.find((p) => p.name !== undefined) ?? this.problems[0]!;
      throw new RejectedUpdate(this.problems.map((p) => p.message).join('\n'), first.name, first.config);
    }
    return this.decoded;
  }
}

/** The resources of a SotW DiscoveryResponse; throws RejectedUpdate. */
export function decodeSotwResources(typeUrl: string, resources: readonly RawAny[]): DecodedResource[] {
  const decoder = new ResourceDecoder(typeUrl);
  resources.forEach((any, i) => {
    const where = `resources[${i}]`;
    if (any.type_url !== RESOURCE_WRAPPER_TYPE) return decoder.add(any, where);
    let wrapper: RawResource;
    try {
      wrapper = decodeResourceWrapper(any);
    } catch (err) {
      return decoder.fail(`${where}: cannot decode Resource: ${(err as Error).message}`);
    }
    // A wrapper without a resource is a TTL heartbeat: nothing to apply.
    if (wrapper.resource) decoder.add(wrapper.resource, `${where}.resource`, { name: wrapper.name });
  });
  return decoder.result();
}

/** The resources of a DeltaDiscoveryResponse (each with its version); throws RejectedUpdate. */
export function decodeDeltaResources(typeUrl: string, resources: readonly RawResource[], removed: readonly string[]): DecodedResource[] {
  const decoder = new ResourceDecoder(typeUrl);
  resources.forEach((r, i) => {
    if (r.resource) decoder.add(r.resource, `resources[${i}].resource`, { name: r.name, version: r.version });
  });
  decoder.checkRemoved(removed);
  return decoder.result();
}
