/**
 * PartiQL INSERT for the local DynamoDB. dynalite has no PartiQL, and the router writes finished
 * executions with `BatchExecuteStatement` INSERTs, so the edge hands `BatchExecuteStatement` and
 * `ExecuteStatement` to this emulation while every other DynamoDB operation still goes to dynalite.
 *
 * Each INSERT becomes one dynalite PutItem that may not replace an item:
 *
 * ```
 * INSERT INTO "executions" VALUE {'pk': ?, 'status': 'SUCCEEDED', 'attempt': 2}      Parameters: [{S: 'e-1'}]
 *   -> PutItem { TableName: 'executions', Item: {pk: {S: 'e-1'}, status: {S: 'SUCCEEDED'}, attempt: {N: '2'}},
 *                ConditionExpression: 'attribute_not_exists(#h)', ExpressionAttributeNames: {'#h': 'pk'} }
 * ```
 *
 * The hash key comes from DescribeTable, cached per table. A statement that finds its key taken fails
 * with `DuplicateItem` alone; the others in the batch still write, as in DynamoDB. Only INSERT is served:
 * SELECT, UPDATE, DELETE, a WHERE clause, or tuple values other than `?`, a string or a number are a
 * `ValidationError` that names the statement and the reason.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import type { BatchStatementErrorCodeEnum } from '@aws-sdk/client-dynamodb';
import type { EdgeRequest, EdgeResponse, ServiceEmulator } from '../service.ts';

/** The operations this emulation serves; the edge proxies every other DynamoDB operation to dynalite. */
export const PARTIQL_OPERATIONS: ReadonlySet<string> = new Set(['BatchExecuteStatement', 'ExecuteStatement']);

/** DynamoDB's limit on the statements of one `BatchExecuteStatement`. */
const MAX_BATCH_STATEMENTS = 25;
const DYNAMODB_TARGET = 'DynamoDB_20120810';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
/** Request headers dynalite reads to accept a request as signed (it verifies no signature). */
const SIGNING_HEADERS = ['authorization', 'x-amz-date', 'date', 'x-amz-security-token'] as const;
/** Words that start the PartiQL statements this emulation does not run. */
const OTHER_STATEMENTS = new Set(['SELECT', 'UPDATE', 'DELETE', 'EXISTS']);

/** An AttributeValue as the JSON protocol carries it (`{"S": "x"}`, `{"M": {...}}`). */
export type AttributeValueJson = Readonly<Record<string, unknown>>;

/** A PartiQL statement this emulation cannot run; the message says why, for the statement's error. */
export class PartiqlError extends Error {
  override readonly name = 'PartiqlError';
}

/** The value of one tuple attribute: a `?` placeholder (its position among them) or a literal. */
export type InsertValue =
  | { readonly kind: 'parameter'; readonly index: number }
  | { readonly kind: 'literal'; readonly value: AttributeValueJson };

/** An INSERT as parsed, before its parameters are bound. */
export interface InsertStatement {
  readonly table: string;
  readonly attributes: ReadonlyArray<{ readonly name: string; readonly value: InsertValue }>;
  /** How many `?` placeholders the tuple holds. */
  readonly parameterCount: number;
}

const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/y;
const WORD = /[A-Za-z]+/y;
const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?![A-Za-z0-9_.])/y;

/**
 * Parses `INSERT INTO <table> VALUE {'attr': ?, 'attr2': 'text', 'attr3': 12}`, keywords in any case,
 * the table double-quoted or a bare identifier. Throws {@link PartiqlError} naming what is wrong.
 */
export function parseInsert(statement: string): InsertStatement {
  let at = 0;
  const skipSpace = (): void => {
    while (at < statement.length && /\s/.test(statement[at] ?? '')) at += 1;
  };
  const near = (): string => {
    const rest = statement.slice(at);
    return rest === ''
      ? 'the end of the statement'
      : `'${rest.length > 24 ? `${rest.slice(0, 24)}...` : rest}'`;
  };
  const sticky = (pattern: RegExp): string | undefined => {
    pattern.lastIndex = at;
    const match = pattern.exec(statement)?.[0];
    if (match !== undefined) at += match.length;
    return match;
  };
  const keyword = (word: string, hint = ''): void => {
    skipSpace();
    const start = at;
    const found = sticky(WORD);
    if (found?.toUpperCase() !== word) {
      at = start;
      throw new PartiqlError(`expected ${word}${hint} at ${near()}`);
    }
  };
  /** A quoted text starting at `at`, with the quote doubled inside standing for itself. */
  const quoted = (quote: string, what: string): string => {
    const start = at;
    at += 1;
    let text = '';
    for (;;) {
      const next = statement.indexOf(quote, at);
      if (next < 0) {
        at = start;
        throw new PartiqlError(`unterminated ${what} at ${near()}`);
      }
      text += statement.slice(at, next);
      at = next + 1;
      if (statement[at] !== quote) return text;
      text += quote;
      at += 1;
    }
  };

  skipSpace();
  const first = sticky(WORD)?.toUpperCase();
  if (first !== undefined && OTHER_STATEMENTS.has(first))
    throw new PartiqlError(`the local DynamoDB runs only INSERT statements, not ${first}`);
  if (first !== 'INSERT') {
    at = 0;
    skipSpace();
    throw new PartiqlError(`expected INSERT at ${near()}`);
  }
  keyword('INTO');
  skipSpace();
  let table: string | undefined;
  if (statement[at] === '"') table = quoted('"', 'table name');
  else table = sticky(IDENTIFIER);
  if (table === undefined || table === '')
    throw new PartiqlError(`expected a table name (double-quoted, or a bare identifier) at ${near()}`);
  keyword('VALUE', " (DynamoDB's PartiQL spells it VALUE, followed by one {...} tuple)");
  skipSpace();
  if (statement[at] !== '{') throw new PartiqlError(`expected '{' to open the VALUE tuple at ${near()}`);
  at += 1;

  const attributes: Array<{ name: string; value: InsertValue }> = [];
  const names = new Set<string>();
  let parameterCount = 0;
  skipSpace();
  if (statement[at] === '}') at += 1;
  else {
    for (;;) {
      skipSpace();
      if (statement[at] !== "'")
        throw new PartiqlError(`expected a single-quoted attribute name in the VALUE tuple at ${near()}`);
      const name = quoted("'", 'attribute name');
      if (name === '') throw new PartiqlError('an attribute name in the VALUE tuple is empty');
      if (names.has(name)) throw new PartiqlError(`attribute '${name}' appears twice in the VALUE tuple`);
      names.add(name);
      skipSpace();
      if (statement[at] !== ':')
        throw new PartiqlError(`expected ':' after attribute '${name}' at ${near()}`);
      at += 1;
      skipSpace();
      let value: InsertValue;
      if (statement[at] === '?') {
        at += 1;
        value = { kind: 'parameter', index: parameterCount };
        parameterCount += 1;
      } else if (statement[at] === "'") {
        value = { kind: 'literal', value: { S: quoted("'", 'string literal') } };
      } else {
        const number = sticky(NUMBER);
        if (number === undefined)
          throw new PartiqlError(
            `the value of '${name}' must be ?, a single-quoted string or a number (pass anything else as a parameter), found ${near()}`,
          );
        value = { kind: 'literal', value: { N: number } };
      }
      attributes.push({ name, value });
      skipSpace();
      if (statement[at] === ',') {
        at += 1;
        continue;
      }
      if (statement[at] === '}') {
        at += 1;
        break;
      }
      throw new PartiqlError(`expected ',' or '}' after the value of '${name}' at ${near()}`);
    }
  }
  skipSpace();
  if (at < statement.length) {
    const start = at;
    const word = sticky(WORD)?.toUpperCase();
    at = start;
    if (word === 'WHERE') throw new PartiqlError('an INSERT takes no WHERE clause');
    throw new PartiqlError(`unexpected ${near()} after the VALUE tuple`);
  }
  return { table, attributes, parameterCount };
}

/** The item an INSERT writes, its placeholders filled from `parameters` in order. */
export function bindInsert(
  insert: InsertStatement,
  parameters: readonly unknown[],
): Record<string, AttributeValueJson> {
  if (parameters.length !== insert.parameterCount)
    throw new PartiqlError(
      `the statement has ${insert.parameterCount} ? placeholder(s) but ${parameters.length} Parameters were given`,
    );
  const item: Record<string, AttributeValueJson> = {};
  for (const { name, value } of insert.attributes) {
    if (value.kind === 'literal') {
      item[name] = value.value;
      continue;
    }
    const parameter = parameters[value.index];
    if (typeof parameter !== 'object' || parameter === null || Array.isArray(parameter))
      throw new PartiqlError(`Parameters[${value.index}] (for '${name}') is not an AttributeValue`);
    item[name] = parameter as AttributeValueJson;
  }
  return item;
}

/** The statement error codes this emulation reports (DynamoDB has a few more). */
type StatementErrorCode = Extract<
  BatchStatementErrorCodeEnum,
  'DuplicateItem' | 'ValidationError' | 'ResourceNotFound' | 'InternalServerError'
>;

/** A statement's outcome as `BatchExecuteStatement` reports it. */
interface StatementOutcome {
  readonly TableName?: string;
  readonly Error?: { readonly Code: StatementErrorCode; readonly Message: string };
}

/** An error dynalite answered, by its short type (`ConditionalCheckFailedException`). */
class DynaliteError extends Error {
  override readonly name = 'DynaliteError';

  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** A whole-request error, in DynamoDB's JSON shape. */
class RequestError extends Error {
  override readonly name = 'RequestError';

  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function json(status: number, body: unknown, errorType?: string): EdgeResponse {
  return {
    status,
    headers: {
      'content-type': CONTENT_TYPE,
      'x-amzn-requestid': randomUUID(),
      ...(errorType === undefined ? {} : { 'x-amzn-errortype': errorType }),
    },
    body: JSON.stringify(body),
  };
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The statement's failure as `BatchStatementError`, from what went wrong running it. */
function statementError(error: unknown): NonNullable<StatementOutcome['Error']> {
  if (error instanceof PartiqlError) return { Code: 'ValidationError', Message: error.message };
  if (error instanceof DynaliteError) {
    switch (error.type) {
      case 'ConditionalCheckFailedException':
        return { Code: 'DuplicateItem', Message: 'Duplicate primary key exists in table' };
      case 'ValidationException':
        return { Code: 'ValidationError', Message: error.message };
      case 'ResourceNotFoundException':
        return { Code: 'ResourceNotFound', Message: error.message };
      default:
        return { Code: 'InternalServerError', Message: `${error.type}: ${error.message}` };
    }
  }
  return { Code: 'InternalServerError', Message: error instanceof Error ? error.message : String(error) };
}

/** The exception `ExecuteStatement` raises for what `BatchExecuteStatement` reports as a statement's code. */
const EXCEPTION_OF: Readonly<Record<StatementErrorCode, readonly [type: string, status: number]>> = {
  DuplicateItem: ['DuplicateItemException', 400],
  ValidationError: ['ValidationException', 400],
  ResourceNotFound: ['ResourceNotFoundException', 400],
  InternalServerError: ['InternalServerError', 500],
};

/** Where dynalite listens. */
export interface PartiqlEmulatorOptions {
  readonly host: string;
  readonly port: number;
}

/**
 * Builds the emulation over the dynalite at `host:port`; the stack routes it as the dynamodb backend's
 * `inProcess` handler for {@link PARTIQL_OPERATIONS}.
 */
export function createPartiqlEmulator(options: PartiqlEmulatorOptions): ServiceEmulator {
  return new PartiqlEmulator(options);
}

class PartiqlEmulator implements ServiceEmulator {
  readonly signingName = 'dynamodb';
  private readonly agent = new Agent({ keepAlive: true, maxSockets: MAX_BATCH_STATEMENTS });
  /**
   * Table name -> its hash key attribute. A failed lookup, or a put that finds the table gone, is
   * forgotten, so a table created later is found; a table deleted and created again with another hash key
   * between two puts is not noticed.
   */
  private readonly hashKeys = new Map<string, Promise<string>>();

  constructor(private readonly options: PartiqlEmulatorOptions) {}

  async close(): Promise<void> {
    this.agent.destroy();
  }

  async handle(request: EdgeRequest): Promise<EdgeResponse> {
    const target = request.headers['x-amz-target'] ?? '';
    const operation = target.slice(target.lastIndexOf('.') + 1);
    try {
      const signing: Record<string, string> = {};
      for (const name of SIGNING_HEADERS) {
        const value = request.headers[name];
        if (value !== undefined) signing[name] = value;
      }
      if (signing.authorization === undefined)
        throw new RequestError(
          'MissingAuthenticationTokenException',
          'Request is missing Authentication Token',
        );
      let input: unknown;
      try {
        input = JSON.parse(request.body.toString('utf8'));
      } catch (error) {
        throw new RequestError(
          'SerializationException',
          error instanceof Error ? error.message : String(error),
        );
      }
      if (!isRecord(input))
        throw new RequestError('SerializationException', 'the request body is not an object');
      if (operation === 'BatchExecuteStatement') return json(200, await this.batch(input, signing));
      if (operation === 'ExecuteStatement') return json(200, await this.single(input, signing));
      throw new RequestError(
        'UnknownOperationException',
        `The local PartiQL emulation does not serve '${target}'`,
      );
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      return json(
        error.status,
        { __type: `com.amazonaws.dynamodb.v20120810#${error.type}`, message: error.message },
        error.type,
      );
    }
  }

  private async batch(
    input: Readonly<Record<string, unknown>>,
    signing: Readonly<Record<string, string>>,
  ): Promise<{ Responses: StatementOutcome[] }> {
    const statements = input.Statements;
    if (!Array.isArray(statements))
      throw new RequestError('ValidationException', 'Statements is required and must be a list');
    if (statements.length < 1 || statements.length > MAX_BATCH_STATEMENTS)
      throw new RequestError(
        'ValidationException',
        `1 validation error detected: Value at 'statements' failed to satisfy constraint: Member must have length ${
          statements.length < 1
            ? 'greater than or equal to 1'
            : `less than or equal to ${MAX_BATCH_STATEMENTS}`
        } (it has ${statements.length})`,
      );
    const requests = statements.map((statement: unknown, index) => {
      const request = isRecord(statement) ? statement : {};
      return { ...this.statementOf(request, `Statements[${index}].`), index };
    });
    const Responses = await Promise.all(
      requests.map(async ({ statement, parameters, index }): Promise<StatementOutcome> => {
        let table: string | undefined;
        try {
          const insert = parseInsert(statement);
          table = insert.table;
          await this.insert(insert.table, bindInsert(insert, parameters), signing);
          return { TableName: insert.table };
        } catch (error) {
          const { Code, Message } = statementError(error);
          const failure = { Code, Message: `Statements[${index}]: ${Message}` };
          return table === undefined ? { Error: failure } : { TableName: table, Error: failure };
        }
      }),
    );
    return { Responses };
  }

  private async single(
    input: Readonly<Record<string, unknown>>,
    signing: Readonly<Record<string, string>>,
  ): Promise<{ Items: [] }> {
    const { statement, parameters } = this.statementOf(input, '');
    try {
      const insert = parseInsert(statement);
      await this.insert(insert.table, bindInsert(insert, parameters), signing);
      return { Items: [] };
    } catch (error) {
      const { Code, Message } = statementError(error);
      const [type, status] = EXCEPTION_OF[Code];
      throw new RequestError(type, Message, status);
    }
  }

  /** The statement text and parameters of an `ExecuteStatement` input or a `BatchStatementRequest`. */
  private statementOf(
    input: Readonly<Record<string, unknown>>,
    path: string,
  ): { statement: string; parameters: readonly unknown[] } {
    const statement = input.Statement;
    if (typeof statement !== 'string' || statement === '')
      throw new RequestError('ValidationException', `${path}Statement is required and must be a string`);
    const parameters = input.Parameters ?? [];
    if (!Array.isArray(parameters))
      throw new RequestError('ValidationException', `${path}Parameters must be a list of AttributeValues`);
    return { statement, parameters };
  }

  /** Puts `item` unless an item with its primary key exists (then dynalite fails the condition). */
  private async insert(
    table: string,
    item: Readonly<Record<string, AttributeValueJson>>,
    signing: Readonly<Record<string, string>>,
  ): Promise<void> {
    const hashKey = await this.hashKeyOf(table, signing);
    try {
      await this.call(
        'PutItem',
        {
          TableName: table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#h)',
          ExpressionAttributeNames: { '#h': hashKey },
        },
        signing,
      );
    } catch (error) {
      if (error instanceof DynaliteError && error.type === 'ResourceNotFoundException')
        this.hashKeys.delete(table);
      throw error;
    }
  }

  private hashKeyOf(table: string, signing: Readonly<Record<string, string>>): Promise<string> {
    const cached = this.hashKeys.get(table);
    if (cached !== undefined) return cached;
    const lookup = this.call('DescribeTable', { TableName: table }, signing)
      .then((output) => {
        const schema = isRecord(output.Table) ? output.Table.KeySchema : undefined;
        const hash = Array.isArray(schema)
          ? schema.find((key: unknown) => isRecord(key) && key.KeyType === 'HASH')
          : undefined;
        if (!isRecord(hash) || typeof hash.AttributeName !== 'string')
          throw new Error(`DescribeTable of '${table}' names no hash key`);
        return hash.AttributeName;
      })
      .catch((error: unknown) => {
        this.hashKeys.delete(table);
        throw error;
      });
    this.hashKeys.set(table, lookup);
    return lookup;
  }

  /** One DynamoDB JSON-protocol call to dynalite; its error answers throw {@link DynaliteError}. */
  private call(
    operation: string,
    body: Readonly<Record<string, unknown>>,
    signing: Readonly<Record<string, string>>,
  ): Promise<Readonly<Record<string, unknown>>> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: this.options.host,
          port: this.options.port,
          method: 'POST',
          path: '/',
          agent: this.agent,
          headers: {
            ...signing,
            'content-type': CONTENT_TYPE,
            'content-length': Buffer.byteLength(payload),
            'x-amz-target': `${DYNAMODB_TARGET}.${operation}`,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let output: unknown;
            try {
              output = text === '' ? {} : JSON.parse(text);
            } catch {
              reject(
                new Error(
                  `dynalite answered ${operation} with ${response.statusCode}: ${text.slice(0, 200)}`,
                ),
              );
              return;
            }
            const answer = isRecord(output) ? output : {};
            if ((response.statusCode ?? 500) < 300) {
              resolve(answer);
              return;
            }
            const type = String(answer.__type ?? `HTTP ${response.statusCode}`);
            const message = answer.message ?? answer.Message;
            reject(
              new DynaliteError(
                type.slice(type.lastIndexOf('#') + 1),
                typeof message === 'string' ? message : type,
              ),
            );
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(payload);
    });
  }
}
