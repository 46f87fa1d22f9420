// Pod names as Kubernetes makes them for a Deployment: `<deployment>-<template hash>-<suffix>`,
// e.g. `webapp-7c9d5f4b8a-x2kqz`. The hash stands for the ReplicaSet (the same template
// always gives the same hash, so restarts and scale-ups share it); the suffix tells the
// replicas apart. Tools that strip both parts to find the workload name (Istio's
// WORKLOAD_NAME fallback, `proxy-config deploy/NAME`) work on these names unchanged.
import crypto from 'node:crypto';

/** Kubernetes' alphabet for generated name suffixes: no vowels (no words), no 0/1/3 (look-alikes). */
export const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
export const SUFFIX_LENGTH = 5;
export const HASH_LENGTH = 10;
/** Kubernetes limits names to 63 characters (DNS labels). */
const MAX_NAME = 63;

/** A stable 10-hex-digit hash of a Deployment's pod template (key order does not matter). */
export function templateHash(template: unknown): string {
  return crypto.createHash('sha256').update(canonicalJson(template)).digest('hex').slice(0, HASH_LENGTH);
}

export function randomSuffix(random: (n: number) => number = crypto.randomInt): string {
  let out = '';
  for (let i = 0; i < SUFFIX_LENGTH; i++) out += SUFFIX_ALPHABET[random(SUFFIX_ALPHABET.length)];
  return out;
}

/**
 * A pod name not in `taken`. Like the ReplicaSet controller, a long Deployment name is
 * cut so the whole name stays a valid DNS label.
 */
export function newPodName(deployment: string, hash: string, taken: ReadonlySet<string>, random?: (n: number) => number): string {
  const base = deployment.slice(0, MAX_NAME - HASH_LENGTH - SUFFIX_LENGTH - 2);
  for (;;) {
    const name = `${base}-${hash}-${randomSuffix(random)}`;
    if (!taken.has(name)) return name;
  }
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
