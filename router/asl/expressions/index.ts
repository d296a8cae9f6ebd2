/**
 * The expression layer of the graph language: paths, intrinsic functions, payload templates, Choice rules
 * and the data-flow steps, for the JSONPath dialect of the Amazon States Language.
 *
 * The interpreter depends only on {@link ExpressionDialect}, so another dialect (JSONata) can be added
 * beside this one without touching the state machine code.
 */
import type { ChoiceRule, JsonValue } from '../types.ts';
import { type CompiledCondition, compileChoiceRule } from './choice.ts';
import {
  type CompiledResultPath,
  type CompiledSelector,
  compileInputPath,
  compileOutputPath,
  compileResultPath,
  type ResultPathBound,
  resultPathBound,
} from './dataflow.ts';
import { type CompiledIntrinsic, compileIntrinsic, validateIntrinsic } from './intrinsics.ts';
import { type CompiledPath, compilePath, type PathKind, validatePath } from './paths.ts';
import { type CompiledTemplate, compilePayloadTemplate } from './payload.ts';

export type { CompiledCondition } from './choice.ts';
export type {
  CompiledResultPath,
  CompiledSelector,
  ResultPathBound,
} from './dataflow.ts';
export type {
  CompiledIntrinsic,
  IntrinsicEnv,
} from './intrinsics.ts';
export {
  DEFAULT_JSONATA_LIMITS,
  type JsonataLimits,
} from './jsonata/engine.ts';
export {
  type CompiledJsonata,
  compileJsonataField,
  type ExpectedType,
  expectType,
  isJsonataText,
  type StatesBinding,
} from './jsonata/template.ts';
export type {
  CompiledPath,
  PathKind,
  Variables,
} from './paths.ts';
export type { CompiledTemplate } from './payload.ts';

/**
 * What the interpreter needs from an expression language: validate and compile each expression of a graph
 * once at load, then run closures per transition. A dialect never sees states or executions.
 */
export interface ExpressionDialect {
  /** The `QueryLanguage` name this dialect implements. */
  readonly name: string;
  /** A message when the path is not valid for `kind`, else undefined (for the validator). */
  validatePath(path: string, kind: PathKind): string | undefined;
  /** A message when the intrinsic expression is invalid, else undefined (for the validator). */
  validateIntrinsic(expression: string): string | undefined;
  compilePath(path: string, kind?: PathKind): CompiledPath;
  compileIntrinsic(expression: string): CompiledIntrinsic;
  compilePayloadTemplate(template: JsonValue): CompiledTemplate;
  compileChoiceRule(rule: ChoiceRule): CompiledCondition;
  compileInputPath(path: string | null | undefined): CompiledSelector;
  compileResultPath(path: string | null | undefined): CompiledResultPath;
  /** How large a ResultPath's output can be, given bounds of its input and result. */
  resultPathBound(path: string | null | undefined): ResultPathBound;
  compileOutputPath(path: string | null | undefined): CompiledSelector;
}

/** The Amazon States Language JSONPath dialect (the default, and the only one for now). */
export const jsonPathDialect: ExpressionDialect = {
  name: 'JSONPath',
  validatePath,
  validateIntrinsic,
  compilePath,
  compileIntrinsic,
  compilePayloadTemplate,
  compileChoiceRule,
  compileInputPath,
  compileResultPath,
  resultPathBound,
  compileOutputPath,
};
