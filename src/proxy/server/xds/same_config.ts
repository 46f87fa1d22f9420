// "Is this the config we already run?" — xDS re-sends unchanged resources (every SotW
// response carries all of them), and Envoy skips those by hash instead of rebuilding.
export function sameConfig(a: unknown, b: unknown): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
