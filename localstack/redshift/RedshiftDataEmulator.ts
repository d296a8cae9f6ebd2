/**
 * The Redshift Data API over PGlite (Postgres compiled to WebAssembly, in-process), so the seeds' SQL
 * steps run locally on a real SQL engine. The API is asynchronous and clients poll, so the emulator
 * keeps that contract: ExecuteStatement answers at once with an id, the statement waits in a queue
 * (SUBMITTED), is picked (PICKED), runs (STARTED) and ends FINISHED, FAILED or ABORTED.
 *
 * ```
 * ExecuteStatement / BatchExecuteStatement -> Id (SUBMITTED)
 *        queue (one at a time; PGlite is one connection) -> PICKED -> STARTED
 *        BEGIN; sql 1; yield; sql 2; yield; ...; COMMIT      (CancelStatement lands at a yield:
 *                                                              ROLLBACK, ABORTED)
 * DescribeStatement -> status, rows, sizes, SubStatements;   GetStatementResult -> Records, paged
 * ```
 *
 * PGlite takes seconds to start, so it starts on first use (or in the background with `startNow`); the
 * rest of the stack never waits for it. It runs on the main thread: while a statement executes, the
 * event loop is blocked, so the runner yields between statements to keep the edge responsive.
 */
import { randomUUID } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { PGlite } from '@electric-sql/pglite';
import { s3Client } from '../../router/aws/index.ts';
import type { EdgeRequest, EdgeResponse, ServiceEmulator, StackContext } from '../service.ts';
import { CopyError, parseS3Copy, postgresCopy, type S3Copy } from './copy.ts';
import { invalid, RedshiftDataError } from './errors.ts';
import { BUILTIN_TYPE_NAMES, type ColumnMetadata, columnMetadata, type Field, toField } from './fields.ts';
import { bindNamedParameters, ParameterError, type SqlParameter } from './parameters.ts';
import { SYSTEM_TABLES_SQL } from './systemTables.ts';

/** Statement states, as the Data API names them. */
export type StatementStatus = 'SUBMITTED' | 'PICKED' | 'STARTED' | 'FINISHED' | 'FAILED' | 'ABORTED';

/** The few logging methods the emulator uses; `console` and a Powertools Logger both fit. */
export interface EmulatorLog {
  info(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** How the emulator is built. */
export interface RedshiftDataEmulatorOptions {
  /** PGlite data directory (persists across restarts); in memory when absent. */
  readonly dataDir?: string;
  /** Start PGlite in the background now instead of on the first statement. */
  readonly startNow?: boolean;
  /** Rows per GetStatementResult page (AWS pages by size; a row count keeps paging testable). */
  readonly pageSize?: number;
  /** Statements submitted or running at once before ActiveStatementsExceededException (AWS: 500). */
  readonly maxActiveStatements?: number;
  /** Finished statements kept for Describe / GetStatementResult (AWS keeps them 24 hours). */
  readonly maxStatements?: number;
  readonly log?: EmulatorLog;
  /**
   * Awaited after each sub-statement of a running statement finishes, before the next starts: lets a
   * test hold a batch at a known point (to cancel it while it runs) instead of racing its duration.
   */
  readonly afterSubStatement?: (sql: string) => Promise<void> | void;
}

/** The Data API emulation plus a way to wait for the database, for benchmarks and tests. */
export interface RedshiftDataEmulator extends ServiceEmulator {
  /** Starts PGlite if needed and resolves once it accepts statements; reports how long the start took. */
  ready(): Promise<{ startedInMs: number }>;
}

interface StatementResult {
  readonly columns: ColumnMetadata[];
  readonly records: Field[][];
}

interface SubStatement {
  readonly id: string;
  readonly sql: string;
  status: StatementStatus;
  error?: string;
  resultRows: number;
  resultSize: number;
  hasResultSet: boolean;
  durationNs: number;
  readonly createdAt: number;
  updatedAt: number;
  redshiftQueryId: number;
  result?: StatementResult;
}

interface Statement {
  readonly id: string;
  readonly isBatch: boolean;
  readonly subs: SubStatement[];
  readonly parameters?: SqlParameter[];
  readonly statementName?: string;
  readonly clientToken?: string;
  readonly database: string;
  readonly clusterIdentifier?: string;
  readonly workgroupName?: string;
  readonly secretArn?: string;
  readonly dbUser?: string;
  status: StatementStatus;
  error?: string;
  durationNs: number;
  readonly createdAt: number;
  updatedAt: number;
  cancelRequested: boolean;
}

type Body = Record<string, unknown>;
type Result = Awaited<ReturnType<PGlite['query']>>;

const TARGET_PREFIX = 'RedshiftData.';
const ID_PATTERN = /^[a-z0-9]{8}(-[a-z0-9]{4}){3}-[a-z0-9]{12}(:\d+)?$/;
const PARAMETER_NAME = /^[0-9a-zA-Z_]+$/;
const asText = (value: string): string => value;

const defaultLog: EmulatorLog = {
  info: (message, extra) =>
    console.info(JSON.stringify({ level: 'INFO', service: 'redshift-data', message, ...extra })),
  error: (message, extra) =>
    console.error(JSON.stringify({ level: 'ERROR', service: 'redshift-data', message, ...extra })),
};

/**
 * Builds the Redshift Data API emulation (signing name `redshift-data`, JSON 1.1 protocol).
 *
 * @example
 * const redshift = createRedshiftDataEmulator();
 * stack.register(redshift);
 * const { Id } = await redshiftDataClient(stack.aws).send(
 *   new ExecuteStatementCommand({ Database: 'dev', WorkgroupName: 'local', Sql: 'select :n::int', Parameters: [{ name: 'n', value: '1' }] }),
 * );
 */
export function createRedshiftDataEmulator(options: RedshiftDataEmulatorOptions = {}): RedshiftDataEmulator {
  return new RedshiftDataApi(options);
}

class RedshiftDataApi implements RedshiftDataEmulator {
  readonly signingName = 'redshift-data';
  private readonly statements = new Map<string, Statement>();
  private readonly queue: Statement[] = [];
  /** ClientToken -> statement id, for idempotent retries of ExecuteStatement / BatchExecuteStatement. */
  private readonly clientTokens = new Map<string, string>();
  private readonly typeNames = new Map(BUILTIN_TYPE_NAMES);
  /** A parser per known type OID that keeps Postgres' text form; `fields.ts` types it as Redshift does. */
  private readonly rawText: Record<number, (value: string) => string> = {};
  private readonly pageSize: number;
  private readonly maxActive: number;
  private readonly maxStatements: number;
  private readonly log: EmulatorLog;
  private readonly pid = 1_073_741_824 + Math.floor(Math.random() * 1_000_000);
  private database: Promise<{ db: PGlite; startedInMs: number }> | undefined;
  /** The stack's S3, which `COPY ... FROM 's3://...'` reads; set once the stack serves. */
  private s3: S3Client | undefined;
  private draining: Promise<void> | undefined;
  private queryIds = 0;
  private closed = false;

  constructor(private readonly options: RedshiftDataEmulatorOptions) {
    this.pageSize = options.pageSize ?? 1000;
    this.maxActive = options.maxActiveStatements ?? 500;
    this.maxStatements = options.maxStatements ?? 10_000;
    this.log = options.log ?? defaultLog;
    if (options.startNow === true) void this.ready().catch(() => undefined);
  }

  async ready(): Promise<{ startedInMs: number }> {
    const { startedInMs } = await this.open();
    return { startedInMs };
  }

  attach(context: StackContext): void {
    this.s3 = s3Client(context.aws);
  }

  async handle(request: EdgeRequest): Promise<EdgeResponse> {
    try {
      const target = request.headers['x-amz-target'] ?? '';
      if (!target.startsWith(TARGET_PREFIX)) {
        throw new RedshiftDataError(
          'UnknownOperationException',
          `Missing or foreign X-Amz-Target: '${target}'`,
        );
      }
      const body = parseBody(request.body);
      const result = this.dispatch(target.slice(TARGET_PREFIX.length), body);
      return {
        status: 200,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() },
        body: JSON.stringify(result),
      };
    } catch (error) {
      if (error instanceof RedshiftDataError) return error.toResponse();
      this.log.error('Redshift Data emulator failed on a request', { error: describe(error) });
      return new RedshiftDataError('InternalServerException', describe(error)).toResponse();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const statement of this.queue.splice(0)) this.finish(statement, 'ABORTED');
    await this.draining;
    const database = this.database;
    this.database = undefined;
    if (database !== undefined) {
      const opened = await database.catch(() => undefined);
      await opened?.db.close();
    }
  }

  private dispatch(operation: string, body: Body): unknown {
    switch (operation) {
      case 'ExecuteStatement':
        return this.submit(body, false);
      case 'BatchExecuteStatement':
        return this.submit(body, true);
      case 'DescribeStatement':
        return this.describeStatement(body);
      case 'GetStatementResult':
        return this.getStatementResult(body);
      case 'CancelStatement':
        return this.cancelStatement(body);
      case 'ListStatements':
        return this.listStatements(body);
      default:
        throw new RedshiftDataError(
          'UnknownOperationException',
          `The local Redshift Data API does not implement ${operation}; it serves ExecuteStatement, ` +
            'BatchExecuteStatement, DescribeStatement, GetStatementResult, CancelStatement and ListStatements',
        );
    }
  }

  private submit(body: Body, isBatch: boolean): unknown {
    if (this.closed)
      throw new RedshiftDataError('InternalServerException', 'The Redshift Data emulator is stopped');
    for (const field of ['SessionId', 'SessionKeepAliveSeconds'] as const) {
      if (body[field] !== undefined) {
        throw invalid(`${field} is not served locally: every statement runs in its own session here`);
      }
    }
    const database = requiredString(body, 'Database');
    const clusterIdentifier = optionalString(body, 'ClusterIdentifier');
    const workgroupName = optionalString(body, 'WorkgroupName');
    if ((clusterIdentifier === undefined) === (workgroupName === undefined)) {
      throw invalid(
        'Exactly one of ClusterIdentifier (provisioned) or WorkgroupName (serverless) must be given',
      );
    }
    const secretArn = optionalString(body, 'SecretArn');
    const dbUser = optionalString(body, 'DbUser');
    const statementName = optionalString(body, 'StatementName');
    const resultFormat = optionalString(body, 'ResultFormat');
    if (resultFormat !== undefined && resultFormat !== 'JSON') {
      throw invalid(`ResultFormat '${resultFormat}' is not served locally; only JSON is`);
    }
    let sqls: string[];
    let parameters: SqlParameter[] | undefined;
    if (isBatch) {
      const raw = body.Sqls;
      if (!Array.isArray(raw) || raw.length === 0 || raw.length > 40) {
        throw invalid('Sqls must be a list of 1 to 40 SQL statements');
      }
      sqls = raw.map((sql, index) => {
        if (typeof sql !== 'string' || sql.trim() === '')
          throw invalid(`Sqls[${index}] must be a non-empty string`);
        return sql;
      });
    } else {
      sqls = [requiredString(body, 'Sql')];
      parameters = parseParameters(body.Parameters);
      try {
        bindNamedParameters(sqls[0] ?? '', parameters);
      } catch (error) {
        if (error instanceof ParameterError) throw invalid(error.message);
        throw error;
      }
    }
    const clientToken = optionalString(body, 'ClientToken');
    if (clientToken !== undefined) {
      // The Data API's idempotency: a retried request with the same token gets the first statement back.
      const known = this.statements.get(this.clientTokens.get(clientToken) ?? '');
      if (known !== undefined) return this.submitted(known);
    }
    const active = this.queue.length + (this.draining === undefined ? 0 : 1);
    if (active >= this.maxActive) {
      throw new RedshiftDataError(
        'ActiveStatementsExceededException',
        `Active statements exceeded the allowed quota (${this.maxActive}).`,
      );
    }
    const id = randomUUID();
    const now = Date.now();
    const statement: Statement = {
      id,
      isBatch,
      subs: sqls.map((sql, index) => ({
        id: isBatch ? `${id}:${index + 1}` : id,
        sql,
        status: 'SUBMITTED',
        resultRows: -1,
        resultSize: -1,
        hasResultSet: false,
        durationNs: 0,
        createdAt: now,
        updatedAt: now,
        redshiftQueryId: 0,
      })),
      database,
      status: 'SUBMITTED',
      durationNs: 0,
      createdAt: now,
      updatedAt: now,
      cancelRequested: false,
      ...(parameters === undefined || parameters.length === 0 ? {} : { parameters }),
      ...(statementName === undefined ? {} : { statementName }),
      ...(clientToken === undefined ? {} : { clientToken }),
      ...(clusterIdentifier === undefined ? {} : { clusterIdentifier }),
      ...(workgroupName === undefined ? {} : { workgroupName }),
      ...(secretArn === undefined ? {} : { secretArn }),
      ...(dbUser === undefined ? {} : { dbUser }),
    };
    this.remember(statement);
    this.queue.push(statement);
    if (this.draining === undefined) {
      const draining: Promise<void> = this.drain().finally(() => {
        if (this.draining === draining) this.draining = undefined;
      });
      this.draining = draining;
    }
    if (clientToken !== undefined) this.clientTokens.set(clientToken, id);
    return this.submitted(statement);
  }

  /** ExecuteStatement / BatchExecuteStatement's answer for a statement. */
  private submitted(statement: Statement): unknown {
    return { Id: statement.id, CreatedAt: seconds(statement.createdAt), ...this.connectionFields(statement) };
  }

  private describeStatement(body: Body): unknown {
    const id = requiredId(body);
    const statement = this.find(id);
    const sub = statement.subs.find((candidate) => candidate.id === id);
    if (statement.isBatch && sub !== undefined) {
      // A batch's sub-statement (`ID:N`) is described on its own, with the batch's connection details.
      return {
        ...this.connectionFields(statement),
        Id: sub.id,
        Status: sub.status,
        QueryString: sub.sql,
        CreatedAt: seconds(sub.createdAt),
        UpdatedAt: seconds(sub.updatedAt),
        Duration: sub.durationNs,
        HasResultSet: sub.hasResultSet,
        ResultRows: sub.resultRows,
        ResultSize: sub.resultSize,
        RedshiftPid: this.pid,
        RedshiftQueryId: sub.redshiftQueryId,
        ...(sub.error === undefined ? {} : { Error: sub.error }),
      };
    }
    const only = statement.subs[0];
    const totals = statement.subs.reduce(
      (sum, each) => ({
        rows: sum.rows + Math.max(0, each.resultRows),
        size: sum.size + Math.max(0, each.resultSize),
        hasResultSet: sum.hasResultSet || each.hasResultSet,
      }),
      { rows: 0, size: 0, hasResultSet: false },
    );
    return {
      Id: statement.id,
      Status: statement.status,
      QueryString: statement.isBatch ? statement.subs.map((each) => each.sql).join('; ') : (only?.sql ?? ''),
      CreatedAt: seconds(statement.createdAt),
      UpdatedAt: seconds(statement.updatedAt),
      Duration: statement.durationNs,
      HasResultSet: totals.hasResultSet,
      ResultRows: statement.isBatch ? totals.rows : (only?.resultRows ?? -1),
      ResultSize: statement.isBatch ? totals.size : (only?.resultSize ?? -1),
      RedshiftPid: this.pid,
      RedshiftQueryId: statement.isBatch ? 0 : (only?.redshiftQueryId ?? 0),
      ...(statement.error === undefined ? {} : { Error: statement.error }),
      ...(statement.parameters === undefined ? {} : { QueryParameters: statement.parameters }),
      ...this.connectionFields(statement),
      ...(statement.isBatch
        ? {
            SubStatements: statement.subs.map((each) => ({
              Id: each.id,
              Status: each.status,
              QueryString: each.sql,
              CreatedAt: seconds(each.createdAt),
              UpdatedAt: seconds(each.updatedAt),
              Duration: each.durationNs,
              HasResultSet: each.hasResultSet,
              ResultRows: each.resultRows,
              ResultSize: each.resultSize,
              RedshiftQueryId: each.redshiftQueryId,
              ...(each.error === undefined ? {} : { Error: each.error }),
            })),
          }
        : {}),
    };
  }

  private connectionFields(statement: Statement): Record<string, string> {
    return {
      Database: statement.database,
      ...(statement.clusterIdentifier === undefined
        ? {}
        : { ClusterIdentifier: statement.clusterIdentifier }),
      ...(statement.workgroupName === undefined ? {} : { WorkgroupName: statement.workgroupName }),
      ...(statement.secretArn === undefined ? {} : { SecretArn: statement.secretArn }),
      ...(statement.dbUser === undefined ? {} : { DbUser: statement.dbUser }),
    };
  }

  private getStatementResult(body: Body): unknown {
    const id = requiredId(body);
    const statement = this.find(id);
    const sub = statement.subs.find((candidate) => candidate.id === id);
    if (sub === undefined) {
      throw invalid(
        `Statement ${id} is a batch; fetch the result of one sub-statement (${id}:1 .. ${id}:${statement.subs.length})`,
      );
    }
    if (sub.status !== 'FINISHED') {
      throw invalid(`Statement ${id} has no result: its status is ${sub.status}, not FINISHED`);
    }
    if (sub.result === undefined) {
      throw new RedshiftDataError(
        'ResourceNotFoundException',
        `Query does not have result: statement ${id} returns no rows`,
        {
          ResourceId: id,
        },
      );
    }
    const token = optionalString(body, 'NextToken');
    let offset = 0;
    if (token !== undefined) {
      const [tokenId, tokenOffset] = Buffer.from(token, 'base64url').toString('utf8').split('|');
      offset = Number(tokenOffset);
      if (tokenId !== id || !Number.isInteger(offset) || offset < 0 || offset > sub.result.records.length) {
        throw invalid(`NextToken '${token}' does not belong to statement ${id}`);
      }
    }
    const end = offset + this.pageSize;
    const records = sub.result.records.slice(offset, end);
    return {
      Records: records,
      ColumnMetadata: sub.result.columns,
      TotalNumRows: sub.result.records.length,
      ...(end < sub.result.records.length
        ? { NextToken: Buffer.from(`${id}|${end}`).toString('base64url') }
        : {}),
    };
  }

  private cancelStatement(body: Body): unknown {
    const id = requiredId(body);
    const statement = this.find(id);
    if (id !== statement.id) throw invalid(`CancelStatement takes the batch id ${statement.id}, not ${id}`);
    switch (statement.status) {
      case 'SUBMITTED':
      case 'PICKED': {
        const index = this.queue.indexOf(statement);
        if (index >= 0) this.queue.splice(index, 1);
        this.finish(statement, 'ABORTED');
        return { Status: true };
      }
      case 'STARTED':
        statement.cancelRequested = true;
        return { Status: true };
      default:
        throw invalid(`Could not cancel a query that is already in ${statement.status} status.`);
    }
  }

  private listStatements(body: Body): unknown {
    const status = optionalString(body, 'Status') ?? 'ALL';
    const name = optionalString(body, 'StatementName');
    const maxResults = typeof body.MaxResults === 'number' ? body.MaxResults : 100;
    if (!Number.isInteger(maxResults) || maxResults < 0 || maxResults > 100) {
      throw invalid(`MaxResults must be an integer from 0 to 100, got ${String(body.MaxResults)}`);
    }
    const token = optionalString(body, 'NextToken');
    const offset = token === undefined ? 0 : Number(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0)
      throw invalid(`NextToken '${token}' is not a ListStatements token`);
    const matching = [...this.statements.values()]
      .reverse()
      .filter((statement) => status === 'ALL' || statement.status === status)
      .filter((statement) => name === undefined || (statement.statementName ?? '').startsWith(name));
    const limit = maxResults === 0 ? 100 : maxResults;
    const page = matching.slice(offset, offset + limit);
    return {
      Statements: page.map((statement) => ({
        Id: statement.id,
        Status: statement.status,
        CreatedAt: seconds(statement.createdAt),
        UpdatedAt: seconds(statement.updatedAt),
        IsBatchStatement: statement.isBatch,
        ...(statement.isBatch
          ? { QueryStrings: statement.subs.map((each) => each.sql) }
          : { QueryString: statement.subs[0]?.sql ?? '' }),
        ...(statement.statementName === undefined ? {} : { StatementName: statement.statementName }),
        ...(statement.parameters === undefined ? {} : { QueryParameters: statement.parameters }),
        ...(statement.secretArn === undefined ? {} : { SecretArn: statement.secretArn }),
      })),
      ...(offset + limit < matching.length
        ? { NextToken: Buffer.from(String(offset + limit)).toString('base64url') }
        : {}),
    };
  }

  private find(id: string): Statement {
    const statement = this.statements.get(id.replace(/:\d+$/, ''));
    if (statement === undefined || (statement.isBatch === false && id !== statement.id)) {
      throw new RedshiftDataError(
        'ResourceNotFoundException',
        `Query does not exist: no statement has id ${id}`,
        {
          ResourceId: id,
        },
      );
    }
    if (statement.isBatch && id !== statement.id && !statement.subs.some((sub) => sub.id === id)) {
      throw new RedshiftDataError(
        'ResourceNotFoundException',
        `Query does not exist: batch ${statement.id} has ${statement.subs.length} sub-statements, not ${id}`,
        { ResourceId: id },
      );
    }
    return statement;
  }

  private remember(statement: Statement): void {
    this.statements.set(statement.id, statement);
    if (this.statements.size <= this.maxStatements) return;
    for (const [id, old] of this.statements) {
      if (this.statements.size <= this.maxStatements) break;
      if (old.status === 'FINISHED' || old.status === 'FAILED' || old.status === 'ABORTED') {
        this.statements.delete(id);
        if (old.clientToken !== undefined) this.clientTokens.delete(old.clientToken);
      }
    }
  }

  private open(): Promise<{ db: PGlite; startedInMs: number }> {
    if (this.database === undefined) {
      const started = performance.now();
      const opening = (async () => {
        const { PGlite } = await import('@electric-sql/pglite');
        const db = await PGlite.create(
          this.options.dataDir === undefined ? {} : { dataDir: this.options.dataDir },
        );
        const types = await db.query<[number, string]>('select oid::int, typname from pg_type', [], {
          rowMode: 'array',
        });
        for (const [oid, name] of types.rows) this.typeNames.set(oid, name);
        for (const oid of this.typeNames.keys()) this.rawText[oid] = asText;
        await db.exec(SYSTEM_TABLES_SQL);
        const startedInMs = Math.round(performance.now() - started);
        this.log.info('PGlite started', { startedInMs });
        return { db, startedInMs };
      })();
      this.database = opening;
      opening.catch((error: unknown) => {
        this.log.error('PGlite failed to start', { error: describe(error) });
        if (this.database === opening) this.database = undefined;
      });
    }
    return this.database;
  }

  private async drain(): Promise<void> {
    let db: PGlite;
    try {
      ({ db } = await this.open());
    } catch (error) {
      for (const statement of this.queue.splice(0)) {
        statement.error = `The local database (PGlite) failed to start: ${describe(error)}`;
        this.finish(statement, 'FAILED');
      }
      return;
    }
    for (let statement = this.queue.shift(); statement !== undefined; statement = this.queue.shift()) {
      try {
        await this.execute(db, statement);
      } catch (error) {
        // BEGIN / COMMIT themselves failed: the statement cannot have taken effect.
        statement.error = formatDatabaseError(error);
        this.finish(statement, 'FAILED');
        await db.query('ROLLBACK').catch(() => undefined);
      }
      await yieldToEventLoop();
    }
  }

  private async execute(db: PGlite, statement: Statement): Promise<void> {
    this.transition(statement, 'PICKED');
    this.transition(statement, 'STARTED');
    const started = process.hrtime.bigint();
    const elapsed = (): number => Number(process.hrtime.bigint() - started);
    await db.query('BEGIN');
    let inTransaction = true;
    for (const sub of statement.subs) {
      if (statement.cancelRequested) break;
      sub.status = 'STARTED';
      sub.updatedAt = Date.now();
      sub.redshiftQueryId = ++this.queryIds;
      const subStarted = process.hrtime.bigint();
      try {
        const bound = bindNamedParameters(sub.sql, statement.parameters);
        let result: Result;
        try {
          result = await this.run(db, bound.text, bound.values);
        } catch (error) {
          // VACUUM and friends refuse a transaction block; a lone statement may run outside one.
          if (statement.isBatch || !isErrorCode(error, '25001')) throw error;
          await db.query('ROLLBACK');
          inTransaction = false;
          result = await this.run(db, bound.text, bound.values);
        }
        this.store(sub, result);
        sub.status = 'FINISHED';
      } catch (error) {
        sub.status = 'FAILED';
        sub.error = formatDatabaseError(error);
        statement.error = statement.isBatch ? `${sub.id}: ${sub.error}` : sub.error;
      }
      sub.durationNs = Number(process.hrtime.bigint() - subStarted);
      sub.updatedAt = Date.now();
      if (sub.status === 'FAILED') break;
      await this.options.afterSubStatement?.(sub.sql);
      // Lets requests (CancelStatement above all) in between statements.
      await yieldToEventLoop();
    }
    const failed = statement.subs.some((sub) => sub.status === 'FAILED');
    const cancelled = statement.cancelRequested;
    if (inTransaction) await db.query(failed || cancelled ? 'ROLLBACK' : 'COMMIT');
    statement.durationNs = elapsed();
    if (failed) this.finish(statement, 'FAILED');
    else if (cancelled) this.finish(statement, 'ABORTED');
    else this.finish(statement, 'FINISHED');
  }

  /**
   * One SQL text: with parameters through the extended protocol (one statement), without through the
   * simple protocol, so a script of several statements (a file of `CREATE PROCEDURE`s passed as one
   * batch entry, as seed 003 does) runs as Redshift runs it; the last statement's result is kept.
   */
  private async run(db: PGlite, text: string, values: string[]): Promise<Result> {
    const options = { rowMode: 'array', parsers: this.rawText } as const;
    if (values.length > 0) return db.query(text, values, options);
    const copy = parseS3Copy(text);
    if (copy !== undefined) {
      const { sql, blob } = postgresCopy(copy, await this.readObjects(copy));
      return db.query(sql, [], { ...options, blob: new Blob([blob]) });
    }
    const results = await db.exec(text, options);
    return results.at(-1) ?? { rows: [], fields: [] };
  }

  /** The objects under a COPY's prefix, in key order, read through the stack's S3. */
  private async readObjects(copy: S3Copy): Promise<string[]> {
    const where = `s3://${copy.bucket}/${copy.prefix}`;
    if (this.s3 === undefined)
      throw new CopyError(
        `COPY ${copy.table} from ${where}: the emulator runs without a stack, so it has no S3`,
      );
    const s3 = this.s3;
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: copy.bucket, Prefix: copy.prefix }));
    const keys = (listed.Contents ?? []).flatMap((object) => (object.Key === undefined ? [] : [object.Key]));
    if (keys.length === 0)
      throw new CopyError(`The specified S3 prefix '${copy.prefix}' does not exist (${where})`);
    return Promise.all(
      keys.sort().map(async (key) => {
        const object = await s3.send(new GetObjectCommand({ Bucket: copy.bucket, Key: key }));
        return (await object.Body?.transformToString('utf8')) ?? '';
      }),
    );
  }

  private store(sub: SubStatement, result: Result): void {
    const rows = result.rows as unknown as (string | null)[][];
    if (result.fields.length === 0) {
      // Rows affected for INSERT / UPDATE / DELETE; -1 ("null") for statements that report none.
      sub.resultRows = result.rowCount ?? -1;
      sub.resultSize = 0;
      return;
    }
    const columns = result.fields.map((field) =>
      columnMetadata(
        field.name,
        field.dataTypeID,
        this.typeNames.get(field.dataTypeID) ?? String(field.dataTypeID),
      ),
    );
    const records = rows.map((row) =>
      result.fields.map((field, index) => toField(row[index] ?? null, field.dataTypeID)),
    );
    sub.hasResultSet = true;
    sub.resultRows = records.length;
    sub.resultSize = Buffer.byteLength(JSON.stringify(records));
    sub.result = { columns, records };
  }

  private transition(statement: Statement, status: StatementStatus): void {
    statement.status = status;
    statement.updatedAt = Date.now();
    for (const sub of statement.subs) {
      if (sub.status === 'SUBMITTED' || sub.status === 'PICKED') {
        sub.status = status === 'STARTED' ? 'PICKED' : status;
        sub.updatedAt = statement.updatedAt;
      }
    }
  }

  /** Ends a statement; sub-statements that never ran end ABORTED, as in a rolled-back batch. */
  private finish(statement: Statement, status: 'FINISHED' | 'FAILED' | 'ABORTED'): void {
    statement.status = status;
    statement.updatedAt = Date.now();
    for (const sub of statement.subs) {
      if (sub.status !== 'FINISHED' && sub.status !== 'FAILED') {
        sub.status = 'ABORTED';
        sub.updatedAt = statement.updatedAt;
      }
    }
  }
}

function parseBody(raw: Buffer): Body {
  if (raw.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw invalid(`Request body is not JSON: ${describe(error)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid('Request body must be a JSON object');
  }
  return parsed as Body;
}

function requiredString(body: Body, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') {
    throw invalid(
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must not be null or empty`,
    );
  }
  return value;
}

function optionalString(body: Body, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`${field} must be a string, got ${typeof value}`);
  return value;
}

function requiredId(body: Body): string {
  const id = requiredString(body, 'Id');
  if (!ID_PATTERN.test(id)) {
    throw invalid(`Id '${id}' is not a statement id (a UUID, with :N for a sub-statement of a batch)`);
  }
  return id;
}

function parseParameters(raw: unknown): SqlParameter[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw invalid('Parameters must be a list of { name, value }');
  return raw.map((parameter: unknown, index) => {
    if (typeof parameter !== 'object' || parameter === null) {
      throw invalid(`Parameters[${index}] must be an object with name and value`);
    }
    const { name, value } = parameter as { name?: unknown; value?: unknown };
    if (typeof name !== 'string' || !PARAMETER_NAME.test(name)) {
      throw invalid(`Parameters[${index}].name must match [0-9a-zA-Z_]+, got ${JSON.stringify(name)}`);
    }
    if (typeof value !== 'string' || value === '') {
      throw invalid(
        `Parameters[${index}] (${name}) needs a non-empty string value; SQL NULL is written in the SQL`,
      );
    }
    return { name, value };
  });
}

function isErrorCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}

/** Postgres' error text as Redshift reports it in `Error`: `ERROR: message`, plus the position. */
function formatDatabaseError(error: unknown): string {
  const message = describe(error);
  const position =
    typeof error === 'object' && error !== null && 'position' in error && typeof error.position === 'string'
      ? `\n  Position: ${error.position}`
      : '';
  return `ERROR: ${message}${position}`;
}

function seconds(ms: number): number {
  return ms / 1000;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
