/**
 * The fields of a distributed Map (`ProcessorConfig.Mode: DISTRIBUTED`): ItemReader, ItemBatcher,
 * ResultWriter and Label, with the rules Step Functions applies to them, each problem naming the state.
 * An inline Map may carry none of them.
 */
import { isResourceAllowed } from '../allowlist.ts';
import { isJsonataText } from '../expressions/jsonata/template.ts';
import { pointerJoin } from '../parse.ts';
import { type Checker, isObj, type Obj } from './Checker.ts';
import { checkPath, checkTemplateField } from './dataflow.ts';
import { checkJsonataValue } from './jsonata.ts';

/** The fields only a distributed Map has. */
export const DISTRIBUTED_MAP_FIELDS: ReadonlySet<string> = new Set([
  'ItemReader',
  'ResultWriter',
  'ItemBatcher',
  'Label',
]);

/** The S3 actions an ItemReader may name. */
export const ITEM_READER_RESOURCES: ReadonlySet<string> = new Set([
  'arn:aws:states:::s3:getObject',
  'arn:aws:states:::s3:listObjectsV2',
]);

/** The only action a ResultWriter may name. */
export const RESULT_WRITER_RESOURCE = 'arn:aws:states:::s3:putObject';

/** The most items ReaderConfig.MaxItems may ask for. */
const MAX_ITEMS_LIMIT = 100_000_000;
/** MaxInputBytesPerBatch may not exceed the payload limit of a child execution's input. */
const MAX_BATCH_BYTES = 262_144;
const LABEL_MAX = 40;
/** Characters a Label may not hold: whitespace, brackets, wildcards, punctuation Step Functions refuses. */
const LABEL_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/u;

/** Whether text holds a control character (C0 or C1), which a Label may not. */
function hasControl(text: string): boolean {
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

const INPUT_TYPES = ['JSON', 'JSONL', 'CSV', 'MANIFEST'];
const HEADER_LOCATIONS = ['FIRST_ROW', 'GIVEN'];
const DELIMITERS = ['COMMA', 'PIPE', 'SEMICOLON', 'SPACE', 'TAB'];

/** The processor's Mode, read from ItemProcessor (or Iterator). */
function modeOf(obj: Obj): unknown {
  const processor = obj.ItemProcessor ?? obj.Iterator;
  if (!isObj(processor) || !isObj(processor.ProcessorConfig)) return undefined;
  return processor.ProcessorConfig.Mode;
}

function oneOf(
  c: Checker,
  obj: Obj,
  key: string,
  path: string,
  state: string,
  allowed: readonly string[],
): void {
  const value = obj[key];
  if (value !== undefined && (typeof value !== 'string' || !allowed.includes(value))) {
    c.report(pointerJoin(path, key), state, `'${key}' must be one of ${allowed.join(', ')}`);
  }
}

/** An integer literal in [min, max], or (in JSONata) an expression. */
function bounded(
  c: Checker,
  obj: Obj,
  key: string,
  path: string,
  state: string,
  jsonata: boolean,
  min: number,
  max: number,
): void {
  const value = obj[key];
  if (value === undefined) return;
  if (jsonata && isJsonataText(value)) {
    checkJsonataValue(c, value, pointerJoin(path, key), state);
    return;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    c.report(pointerJoin(path, key), state, `'${key}' must be an integer from ${min} to ${max}`);
  }
}

/** Parameters (JSONPath) or Arguments (JSONata) of a reader or writer: an object naming a Bucket. */
function checkS3Arguments(
  c: Checker,
  obj: Obj,
  path: string,
  state: string,
  jsonata: boolean,
  owner: string,
): void {
  const key = jsonata ? 'Arguments' : 'Parameters';
  const other = jsonata ? 'Parameters' : 'Arguments';
  if (obj[other] !== undefined) {
    c.report(
      pointerJoin(path, other),
      state,
      `'${owner}.${other}' is not allowed in a ${jsonata ? 'JSONata' : 'JSONPath'} state; use '${key}'`,
    );
  }
  const value = obj[key];
  if (value === undefined) {
    c.report(path, state, `'${owner}' needs '${key}' (the Bucket, and the Key or Prefix)`);
    return;
  }
  if (jsonata && isJsonataText(value)) {
    checkJsonataValue(c, value, pointerJoin(path, key), state);
    return;
  }
  if (!isObj(value)) {
    c.report(pointerJoin(path, key), state, `'${owner}.${key}' must be an object`);
    return;
  }
  if (value.Bucket === undefined && value['Bucket.$'] === undefined) {
    c.report(pointerJoin(path, key), state, `'${owner}.${key}' needs 'Bucket'`);
  }
  if (jsonata) checkJsonataValue(c, value, pointerJoin(path, key), state);
  else checkTemplateField(c, obj, key, path, state);
}

function checkReaderConfig(
  c: Checker,
  reader: Obj,
  path: string,
  state: string,
  jsonata: boolean,
  resource: unknown,
): void {
  const config = reader.ReaderConfig;
  const configPath = pointerJoin(path, 'ReaderConfig');
  const getObject = resource === 'arn:aws:states:::s3:getObject';
  if (config === undefined) {
    if (getObject) {
      c.report(path, state, `'ItemReader' with s3:getObject needs 'ReaderConfig' with 'InputType'`);
    }
    return;
  }
  if (!isObj(config)) {
    c.report(configPath, state, `'ItemReader.ReaderConfig' must be an object`);
    return;
  }
  c.unknownFields(
    config,
    new Set(['InputType', 'CSVHeaderLocation', 'CSVHeaders', 'CSVDelimiter', 'MaxItems', 'MaxItemsPath']),
    configPath,
    state,
    'ItemReader.ReaderConfig',
  );
  oneOf(c, config, 'InputType', configPath, state, INPUT_TYPES);
  oneOf(c, config, 'CSVHeaderLocation', configPath, state, HEADER_LOCATIONS);
  oneOf(c, config, 'CSVDelimiter', configPath, state, DELIMITERS);
  if (getObject && config.InputType === undefined) {
    c.report(configPath, state, `'ReaderConfig.InputType' is required with s3:getObject`);
  }
  if (!getObject && config.InputType !== undefined) {
    c.report(
      pointerJoin(configPath, 'InputType'),
      state,
      `'ReaderConfig.InputType' applies to s3:getObject only; s3:listObjectsV2 yields one item per object`,
    );
  }
  const csv = config.InputType === 'CSV';
  for (const key of ['CSVHeaderLocation', 'CSVHeaders', 'CSVDelimiter']) {
    if (config[key] !== undefined && !csv) {
      c.report(pointerJoin(configPath, key), state, `'${key}' applies only to InputType CSV`);
    }
  }
  const headers = config.CSVHeaders;
  if (config.CSVHeaderLocation === 'GIVEN' && headers === undefined) {
    c.report(configPath, state, `'CSVHeaderLocation: GIVEN' needs 'CSVHeaders'`);
  }
  if (headers !== undefined) {
    if (config.CSVHeaderLocation !== 'GIVEN') {
      c.report(
        pointerJoin(configPath, 'CSVHeaders'),
        state,
        `'CSVHeaders' is allowed only with 'CSVHeaderLocation: GIVEN'`,
      );
    }
    if (
      !Array.isArray(headers) ||
      headers.length === 0 ||
      !headers.every((h) => typeof h === 'string' && h !== '')
    ) {
      c.report(
        pointerJoin(configPath, 'CSVHeaders'),
        state,
        `'CSVHeaders' must be a non-empty array of names`,
      );
    } else if (new Set(headers).size < headers.length) {
      c.report(pointerJoin(configPath, 'CSVHeaders'), state, `'CSVHeaders' cannot contain duplicates`);
    }
  }
  c.exclusive(config, ['MaxItems', 'MaxItemsPath'], configPath, state, false);
  bounded(c, config, 'MaxItems', configPath, state, jsonata, 1, MAX_ITEMS_LIMIT);
  if (jsonata && config.MaxItemsPath !== undefined) {
    c.report(pointerJoin(configPath, 'MaxItemsPath'), state, `'MaxItemsPath' is a JSONPath field`);
  } else checkPath(c, config, 'MaxItemsPath', configPath, state, 'reference', false);
}

function checkItemReader(c: Checker, obj: Obj, path: string, state: string, jsonata: boolean): void {
  const reader = obj.ItemReader;
  const readerPath = pointerJoin(path, 'ItemReader');
  if (!isObj(reader)) {
    c.report(readerPath, state, `'ItemReader' must be an object`);
    return;
  }
  c.unknownFields(
    reader,
    new Set(['Resource', 'Parameters', 'Arguments', 'ReaderConfig']),
    readerPath,
    state,
    'ItemReader',
  );
  const resource = reader.Resource;
  if (typeof resource !== 'string' || !ITEM_READER_RESOURCES.has(resource)) {
    c.report(
      pointerJoin(readerPath, 'Resource'),
      state,
      `'ItemReader.Resource' must be one of ${[...ITEM_READER_RESOURCES].join(', ')}`,
    );
  } else checkAllowed(c, resource, readerPath, state);
  checkS3Arguments(c, reader, readerPath, state, jsonata, 'ItemReader');
  checkReaderConfig(c, reader, readerPath, state, jsonata, resource);
  for (const key of ['ItemsPath', 'Items']) {
    if (obj[key] !== undefined) {
      c.report(
        pointerJoin(path, key),
        state,
        `'${key}' cannot be used with 'ItemReader': the reader supplies the items`,
      );
    }
  }
}

function checkItemBatcher(c: Checker, obj: Obj, path: string, state: string, jsonata: boolean): void {
  const batcher = obj.ItemBatcher;
  const batcherPath = pointerJoin(path, 'ItemBatcher');
  if (!isObj(batcher)) {
    c.report(batcherPath, state, `'ItemBatcher' must be an object`);
    return;
  }
  const limits = [
    'MaxItemsPerBatch',
    'MaxItemsPerBatchPath',
    'MaxInputBytesPerBatch',
    'MaxInputBytesPerBatchPath',
  ];
  c.unknownFields(batcher, new Set([...limits, 'BatchInput']), batcherPath, state, 'ItemBatcher');
  if (limits.every((key) => batcher[key] === undefined)) {
    c.report(
      batcherPath,
      state,
      `'ItemBatcher' needs at least one of 'MaxItemsPerBatch', 'MaxInputBytesPerBatch' (or their Path forms)`,
    );
  }
  c.exclusive(batcher, ['MaxItemsPerBatch', 'MaxItemsPerBatchPath'], batcherPath, state, false);
  c.exclusive(batcher, ['MaxInputBytesPerBatch', 'MaxInputBytesPerBatchPath'], batcherPath, state, false);
  bounded(c, batcher, 'MaxItemsPerBatch', batcherPath, state, jsonata, 1, MAX_ITEMS_LIMIT);
  bounded(c, batcher, 'MaxInputBytesPerBatch', batcherPath, state, jsonata, 1, MAX_BATCH_BYTES);
  for (const key of ['MaxItemsPerBatchPath', 'MaxInputBytesPerBatchPath']) {
    if (jsonata && batcher[key] !== undefined) {
      c.report(pointerJoin(batcherPath, key), state, `'${key}' is a JSONPath field`);
    } else checkPath(c, batcher, key, batcherPath, state, 'reference', false);
  }
  if (batcher.BatchInput === undefined) return;
  if (jsonata) checkJsonataValue(c, batcher.BatchInput, pointerJoin(batcherPath, 'BatchInput'), state);
  else if (!isObj(batcher.BatchInput)) {
    c.report(pointerJoin(batcherPath, 'BatchInput'), state, `'ItemBatcher.BatchInput' must be an object`);
  } else checkTemplateField(c, batcher, 'BatchInput', batcherPath, state);
}

/** The Map's S3 requests run with the router's role: their resource must be allowlisted like a Task's. */
function checkAllowed(c: Checker, resource: string, ownerPath: string, state: string): void {
  const { allowlist } = c.options;
  if (allowlist !== undefined && !isResourceAllowed(resource, allowlist)) {
    c.report(
      pointerJoin(ownerPath, 'Resource'),
      state,
      `resource '${resource}' is not in the resource allowlist`,
    );
  }
}

function checkResultWriter(c: Checker, obj: Obj, path: string, state: string, jsonata: boolean): void {
  const writer = obj.ResultWriter;
  const writerPath = pointerJoin(path, 'ResultWriter');
  if (!isObj(writer)) {
    c.report(writerPath, state, `'ResultWriter' must be an object`);
    return;
  }
  c.unknownFields(
    writer,
    new Set(['Resource', 'Parameters', 'Arguments', 'WriterConfig']),
    writerPath,
    state,
    'ResultWriter',
  );
  if (writer.WriterConfig !== undefined) checkWriterConfig(c, writer.WriterConfig, writerPath, state);
  const s3 =
    writer.Resource !== undefined || writer.Parameters !== undefined || writer.Arguments !== undefined;
  if (!s3) {
    // WriterConfig alone shapes the Map's output without writing to S3.
    if (writer.WriterConfig === undefined) {
      c.report(writerPath, state, `'ResultWriter' needs 'Resource' and its arguments, or 'WriterConfig'`);
    }
    return;
  }
  if (writer.Resource !== RESULT_WRITER_RESOURCE) {
    c.report(
      pointerJoin(writerPath, 'Resource'),
      state,
      `'ResultWriter.Resource' must be ${RESULT_WRITER_RESOURCE}`,
    );
  } else checkAllowed(c, RESULT_WRITER_RESOURCE, writerPath, state);
  checkS3Arguments(c, writer, writerPath, state, jsonata, 'ResultWriter');
}

/** WriterConfig: OutputType JSON | JSONL and Transformation NONE | COMPACT | FLATTEN, as Step Functions takes them. */
function checkWriterConfig(c: Checker, config: unknown, writerPath: string, state: string): void {
  const path = pointerJoin(writerPath, 'WriterConfig');
  if (!isObj(config)) {
    c.report(path, state, `'ResultWriter.WriterConfig' must be an object`);
    return;
  }
  c.unknownFields(config, new Set(['OutputType', 'Transformation']), path, state, 'WriterConfig');
  const allowed: Record<string, readonly string[]> = {
    OutputType: ['JSON', 'JSONL'],
    Transformation: ['NONE', 'COMPACT', 'FLATTEN'],
  };
  for (const [field, values] of Object.entries(allowed)) {
    const value = config[field];
    if (value !== undefined && (typeof value !== 'string' || !values.includes(value))) {
      c.report(
        pointerJoin(path, field),
        state,
        `'ResultWriter.WriterConfig.${field}' must be one of ${values.join(', ')}, not ${JSON.stringify(value)}`,
      );
    }
  }
}

function checkLabel(c: Checker, obj: Obj, path: string, state: string): void {
  const label = obj.Label;
  if (typeof label !== 'string' || label === '') {
    c.report(pointerJoin(path, 'Label'), state, `'Label' must be a non-empty string`);
  } else if ([...label].length > LABEL_MAX) {
    c.report(pointerJoin(path, 'Label'), state, `'Label' is longer than ${LABEL_MAX} characters`);
  } else if (LABEL_FORBIDDEN.test(label) || hasControl(label)) {
    c.report(
      pointerJoin(path, 'Label'),
      state,
      `'Label' may not contain whitespace, brackets, wildcards or the characters " # % \\ ^ | ~ \` $ & , ; : /`,
    );
  }
}

/**
 * A Map's distributed fields: refused by name on an inline Map; on a distributed one, ExecutionType is
 * required and each field follows Step Functions' rules.
 */
export function checkDistributedMapFields(
  c: Checker,
  obj: Obj,
  path: string,
  state: string,
  jsonata: boolean,
): void {
  const mode = modeOf(obj);
  if (mode !== 'DISTRIBUTED') {
    for (const key of Object.keys(obj)) {
      if (DISTRIBUTED_MAP_FIELDS.has(key)) {
        c.report(
          pointerJoin(path, key),
          state,
          `'${key}' is only allowed in a distributed Map (ItemProcessor.ProcessorConfig.Mode: DISTRIBUTED)`,
        );
      }
    }
    return;
  }
  const processor = obj.ItemProcessor;
  if (processor === undefined) {
    c.report(pointerJoin(path, 'Iterator'), state, `a distributed Map takes 'ItemProcessor', not 'Iterator'`);
  } else if (isObj(processor) && isObj(processor.ProcessorConfig)) {
    if (processor.ProcessorConfig.ExecutionType === undefined) {
      c.report(
        pointerJoin(pointerJoin(path, 'ItemProcessor'), 'ProcessorConfig'),
        state,
        `a distributed Map needs 'ProcessorConfig.ExecutionType' (STANDARD or EXPRESS)`,
      );
    }
  }
  if (obj.ItemReader !== undefined) checkItemReader(c, obj, path, state, jsonata);
  if (obj.ItemBatcher !== undefined) checkItemBatcher(c, obj, path, state, jsonata);
  if (obj.ResultWriter !== undefined) checkResultWriter(c, obj, path, state, jsonata);
  if (obj.Label !== undefined) checkLabel(c, obj, path, state);
}
