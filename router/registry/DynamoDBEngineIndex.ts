/**
 * The engine index in DynamoDB (the engines table, schema in router/config.ts). Version numbers come from
 * an atomic counter on the engine's META item; version items are written with a not-exists condition,
 * so a version is immutable even if two authors publish at once.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { isJsonObject } from '../asl/index.ts';
import { type AliasRouting, aliasRecord, type EngineIndex, EngineIndexError } from './EngineIndex.ts';
import type { AliasRecord, AliasTarget, EngineSummary, EngineVersionRecord } from './types.ts';

/** Sort keys pad the version so a Query returns versions in numeric order. */
export function versionSortKey(version: number): string {
  return `VERSION#${String(version).padStart(10, '0')}`;
}

function enginePk(engine: string): string {
  return `ENGINE#${engine}`;
}

type Item = Record<string, unknown>;

/** `EngineIndex` over the engines table. */
export class DynamoDBEngineIndex implements EngineIndex {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async allocateVersion(engine: string): Promise<number> {
    const at = this.now().toISOString();
    const result = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: enginePk(engine), sk: 'META' },
        UpdateExpression:
          'ADD latestVersion :one SET engine = :engine, updatedAt = :at, createdAt = if_not_exists(createdAt, :at), gsi1pk = :g, gsi1sk = :engine',
        ExpressionAttributeValues: { ':one': 1, ':engine': engine, ':at': at, ':g': 'ENGINE' },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const version = result.Attributes?.latestVersion;
    if (typeof version !== 'number')
      throw new EngineIndexError(`could not allocate a version for engine '${engine}'`);
    return version;
  }

  async putVersion(record: EngineVersionRecord): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: enginePk(record.engine),
            sk: versionSortKey(record.version),
            kind: 'version',
            ...record,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new EngineIndexError(
          `version ${record.engine}@${record.version} already exists; versions are immutable`,
        );
      }
      throw error;
    }
  }

  async getVersion(engine: string, version: number): Promise<EngineVersionRecord | undefined> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: enginePk(engine), sk: versionSortKey(version) },
      }),
    );
    return result.Item === undefined ? undefined : toVersion(result.Item);
  }

  async listVersions(engine: string): Promise<EngineVersionRecord[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
      ExpressionAttributeValues: { ':pk': enginePk(engine), ':v': 'VERSION#' },
    });
    return items.map(toVersion);
  }

  async listEngines(): Promise<EngineSummary[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :g',
      ExpressionAttributeValues: { ':g': 'ENGINE' },
    });
    return items.map((item) => ({
      engine: String(item.engine),
      latestVersion: Number(item.latestVersion),
      createdAt: String(item.createdAt),
      updatedAt: String(item.updatedAt),
    }));
  }

  async getAlias(engine: string, alias: string): Promise<AliasRecord | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: enginePk(engine), sk: `ALIAS#${alias}` } }),
    );
    return result.Item === undefined ? undefined : toAlias(result.Item);
  }

  async listEngineAliases(engine: string): Promise<AliasRecord[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :a)',
      ExpressionAttributeValues: { ':pk': enginePk(engine), ':a': 'ALIAS#' },
    });
    return items.map(toAlias);
  }

  async listAliases(alias: string): Promise<AliasRecord[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :g',
      ExpressionAttributeValues: { ':g': `ALIAS#${alias}` },
    });
    return items.map(toAlias);
  }

  async setAlias(
    engine: string,
    alias: string,
    targets: readonly AliasTarget[],
    routing: AliasRouting,
  ): Promise<AliasRecord> {
    const current = await this.getAlias(engine, alias);
    const previous = current === undefined ? [] : [current.targets, ...current.previous];
    return this.writeAlias(engine, alias, targets, previous, routing, current?.updatedAt);
  }

  async rollbackAlias(
    engine: string,
    alias: string,
    routing: (version: number) => Promise<AliasRouting>,
  ): Promise<AliasRecord> {
    const current = await this.getAlias(engine, alias);
    if (current === undefined) throw new EngineIndexError(`engine '${engine}' has no alias '${alias}'`);
    const [back, ...rest] = current.previous;
    if (back === undefined || back[0] === undefined) {
      throw new EngineIndexError(`alias ${engine}:${alias} has no earlier version to roll back to`);
    }
    return this.writeAlias(engine, alias, back, rest, await routing(back[0].version), current.updatedAt);
  }

  /** Writes an alias only if nobody moved it since it was read (optimistic concurrency on updatedAt). */
  private async writeAlias(
    engine: string,
    alias: string,
    targets: readonly AliasTarget[],
    previous: readonly (readonly AliasTarget[])[],
    routing: AliasRouting,
    expectedUpdatedAt: string | undefined,
  ): Promise<AliasRecord> {
    const record = aliasRecord(engine, alias, targets, previous, routing, this.now().toISOString());
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: enginePk(engine),
            sk: `ALIAS#${alias}`,
            kind: 'alias',
            gsi1pk: `ALIAS#${alias}`,
            gsi1sk: engine,
            ...record,
          },
          ...(expectedUpdatedAt === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'updatedAt = :expected',
                ExpressionAttributeValues: { ':expected': expectedUpdatedAt },
              }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new EngineIndexError(
          `alias ${engine}:${alias} was moved concurrently; read it again and retry`,
        );
      }
      throw error;
    }
    return record;
  }

  private async queryAll(input: QueryCommandInput): Promise<Item[]> {
    const items: Item[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({ ...input, ...(start === undefined ? {} : { ExclusiveStartKey: start }) }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  }
}

function toVersion(item: Item): EngineVersionRecord {
  return {
    engine: String(item.engine),
    version: Number(item.version),
    s3Key: String(item.s3Key),
    sha256: String(item.sha256),
    bytes: Number(item.bytes),
    mode: item.mode === 'express' ? 'express' : 'standard',
    publishedAt: String(item.publishedAt),
    ...(isJsonObject(item.match) ? { match: item.match } : {}),
    ...(typeof item.idPath === 'string' ? { idPath: item.idPath } : {}),
    ...(typeof item.comment === 'string' ? { comment: item.comment } : {}),
  };
}

function toTargets(value: unknown): AliasTarget[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter(isObject)
    .map((t) => ({ version: Number(t.version), weight: Number(t.weight) }))
    .filter((t) => Number.isInteger(t.version) && t.weight >= 0);
}

function toAlias(item: Item): AliasRecord {
  const previous = Array.isArray(item.previous) ? item.previous.map(toTargets) : [];
  return {
    engine: String(item.engine),
    alias: String(item.alias),
    targets: toTargets(item.targets),
    previous,
    updatedAt: String(item.updatedAt),
    mode: item.mode === 'express' ? 'express' : 'standard',
    ...(isJsonObject(item.match) ? { match: item.match } : {}),
    ...(typeof item.idPath === 'string' ? { idPath: item.idPath } : {}),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
