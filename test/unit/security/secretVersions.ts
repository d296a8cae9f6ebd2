/**
 * An in-memory secret with versions and staging labels, labelled the way Secrets Manager labels them
 * (one version per label; moving AWSCURRENT moves AWSPREVIOUS onto the version it left), so the
 * rotation steps and the router's reads can be tested together without AWS.
 */
import type { RotationSecretStore, SecretVersionReader } from '../../../router/security/index.ts';

interface Version {
  text: string | undefined;
  readonly labels: Set<string>;
}

/** One secret; `reads` counts GetSecretValue-like calls by label. */
export class SecretVersions implements RotationSecretStore {
  readonly versions = new Map<string, Version>();
  readonly reads: string[] = [];
  rotationEnabled = true;
  private drawn = 0;

  constructor(
    readonly arn: string,
    initial: string,
  ) {
    this.versions.set('v1', { text: initial, labels: new Set(['AWSCURRENT']) });
  }

  /** What RotateSecret does before invoking the function: a new version id labelled AWSPENDING. */
  startRotation(versionId: string): void {
    this.moveLabel('AWSPENDING', versionId);
  }

  /** The text of the version carrying `label`. */
  textOf(label: string): string | undefined {
    return [...this.versions.values()].find((version) => version.labels.has(label))?.text;
  }

  /** The router's view: reads by staging label. */
  readonly reader: SecretVersionReader = async (arn, stage) => {
    this.reads.push(stage);
    this.check(arn);
    const entry = [...this.versions].find(([, version]) => version.labels.has(stage));
    return entry === undefined ? undefined : { versionId: entry[0], text: entry[1].text };
  };

  async describe(secretId: string) {
    this.check(secretId);
    const versions: Record<string, string[]> = {};
    for (const [id, version] of this.versions) {
      if (version.labels.size > 0) versions[id] = [...version.labels];
    }
    return { rotationEnabled: this.rotationEnabled, versions };
  }

  async read(
    secretId: string,
    { stage, versionId }: { readonly stage: string; readonly versionId?: string },
  ) {
    this.check(secretId);
    const entry = [...this.versions].find(
      ([id, version]) => version.labels.has(stage) && (versionId === undefined || id === versionId),
    );
    return entry?.[1].text;
  }

  async random(length: number): Promise<string> {
    this.drawn += 1;
    return `${this.drawn}`.padStart(length, 'r');
  }

  async putPending(secretId: string, versionId: string, text: string): Promise<void> {
    this.check(secretId);
    const version = this.versions.get(versionId);
    if (version?.text !== undefined) throw new Error(`version ${versionId} already has a value`);
    this.moveLabel('AWSPENDING', versionId);
    const target = this.versions.get(versionId);
    if (target !== undefined) target.text = text;
  }

  async promote(secretId: string, versionId: string, fromVersionId: string): Promise<void> {
    this.check(secretId);
    if (!this.versions.get(fromVersionId)?.labels.has('AWSCURRENT')) {
      throw new Error(`version ${fromVersionId} is not AWSCURRENT`);
    }
    this.moveLabel('AWSCURRENT', versionId);
    this.moveLabel('AWSPREVIOUS', fromVersionId);
  }

  private moveLabel(label: string, versionId: string): void {
    for (const version of this.versions.values()) version.labels.delete(label);
    const version = this.versions.get(versionId) ?? { text: undefined, labels: new Set<string>() };
    version.labels.add(label);
    this.versions.set(versionId, version);
  }

  private check(secretId: string): void {
    if (secretId !== this.arn) throw new Error(`no secret ${secretId}`);
  }
}
