// The last rejected version of each named resource, for config_dump's `error_state`
// (envoy.admin.v3.UpdateFailureState). A later accepted version of the same name
// clears it; the active (last good) config is untouched by a rejection.
import type { Duration } from '../../../api/json/wkt.js';

export interface UpdateFailure {
  failed_configuration: Record<string, unknown>;
  last_update_attempt: Duration;
  details: string;
  version_info: string;
}

export class UpdateFailures {
  private readonly failures = new Map<string, UpdateFailure>();

  constructor(private readonly typeUrl: string) {}

  record(name: string, config: Record<string, unknown>, details: string, versionInfo: string): void {
    const now = Date.now();
    this.failures.set(name, {
      failed_configuration: { '@type': this.typeUrl, ...config },
      last_update_attempt: { seconds: Math.floor(now / 1000), nanos: (now % 1000) * 1e6 },
      details,
      version_info: versionInfo,
    });
  }

  clear(name: string): void {
    this.failures.delete(name);
  }

  get(name: string): UpdateFailure | undefined {
    return this.failures.get(name);
  }

  names(): string[] {
    return [...this.failures.keys()];
  }
}
