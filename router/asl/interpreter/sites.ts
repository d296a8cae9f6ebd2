/**
 * Where each compiled expression of a state sits: its field, and what its `$` is. The compiler wraps
 * each expression once with its site, and the wrapper adds the site to the error a path that finds
 * nothing raises, so the cause can name the field and say what the path read.
 */
import { StatesError } from '../errors.ts';
import type { IntrinsicEnv } from '../expressions/intrinsics.ts';
import type { JsonValue } from '../types.ts';

/** The field an expression sits in and what it reads as `$`. */
export interface ExpressionSite {
  /** The field, e.g. `Parameters`, `ItemsPath`, `Choices[2]`. */
  readonly field: string;
  /** What `$` is there, e.g. `the state input`, `the result`. */
  readonly data: string;
}

/** A path that found nothing, raised by the expression at `site` (same name and cause as the original). */
export class SitedError extends StatesError {
  constructor(
    error: StatesError,
    readonly site: ExpressionSite,
  ) {
    super(error.name, error.cause, {
      ...(error.specError === undefined ? {} : { specError: error.specError }),
      ...(error.miss === undefined ? {} : { miss: error.miss }),
    });
  }
}

function atSite(error: unknown, site: ExpressionSite): unknown {
  if (!(error instanceof StatesError) || error.miss === undefined || error instanceof SitedError)
    return error;
  return new SitedError(error, site);
}

/** An expression that reports its site when a path in it finds nothing. */
export function sited(
  evaluate: (input: JsonValue, context: JsonValue, env: IntrinsicEnv) => JsonValue,
  site: ExpressionSite,
): (input: JsonValue, context: JsonValue, env: IntrinsicEnv) => JsonValue {
  return (input, context, env) => {
    try {
      return evaluate(input, context, env);
    } catch (error) {
      throw atSite(error, site);
    }
  };
}

/** A Choice rule that reports its site when a path in it finds nothing. */
export function sitedTest(
  test: (input: JsonValue, context: JsonValue) => boolean,
  site: ExpressionSite,
): (input: JsonValue, context: JsonValue) => boolean {
  return (input, context) => {
    try {
      return test(input, context);
    } catch (error) {
      throw atSite(error, site);
    }
  };
}
