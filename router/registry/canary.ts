/**
 * Weighted choice between the versions an alias points at. The choice hashes the message's dedup key,
 * so a message always lands on the same version, however often it is redelivered.
 */
import { createHash } from 'node:crypto';
import type { AliasTarget } from './types.ts';

/** A number in [0, 1) fixed by the key. */
export function stableFraction(key: string): number {
  const digest = createHash('sha256').update(key).digest();
  return digest.readUInt32BE(0) / 0x1_0000_0000;
}

/** The version a key lands on; undefined only when no target has weight. */
export function chooseVersion(targets: readonly AliasTarget[], key: string): number | undefined {
  let total = 0;
  let weighted: AliasTarget | undefined;
  let count = 0;
  for (const t of targets) {
    if (t.weight <= 0) continue;
    total += t.weight;
    weighted = t;
    count += 1;
  }
  if (weighted === undefined) return undefined;
  // Only one target can receive traffic (the usual alias): no need to hash the key.
  if (count === 1) return weighted.version;
  let point = stableFraction(key) * total;
  for (const target of targets) {
    const weight = Math.max(0, target.weight);
    if (point < weight) return target.version;
    point -= weight;
  }
  return targets[targets.length - 1]?.version;
}

/** Targets for a canary: `percent` of traffic to `canary`, the rest to `stable`. */
export function canaryTargets(stable: number, canary: number, percent: number): AliasTarget[] {
  if (!(percent > 0 && percent < 100))
    throw new RangeError(`canary percent must be between 0 and 100, got ${percent}`);
  if (stable === canary) return [{ version: stable, weight: 100 }];
  return [
    { version: stable, weight: 100 - percent },
    { version: canary, weight: percent },
  ];
}
