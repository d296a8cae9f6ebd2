import { describe, expect, it } from 'vitest';
import { errorMatches, STATES_ERRORS, StatesError, statesFailure } from '../../../../router/asl/errors.ts';

describe('StatesError', () => {
  it('carries the spec name, the cause and the retry / catch flags', () => {
    // Prepare
    const error = new StatesError('States.TaskFailed', 'step threw');

    // Act / Assess
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('States.TaskFailed');
    expect(error.cause).toBe('step threw');
    expect(error.message).toBe('step threw');
    expect(error.retryable).toBe(true);
    expect(error.catchable).toBe(true);
    expect(String(error)).toBe('States.TaskFailed: step threw');
  });

  it('makes States.Runtime neither retryable nor catchable', () => {
    const error = new StatesError(STATES_ERRORS.Runtime, 'bad path');
    expect(error.retryable).toBe(false);
    expect(error.catchable).toBe(false);
  });

  it('reports intrinsic, parameter-path and no-choice failures as States.Runtime, keeping the spec name', () => {
    for (const spec of [
      STATES_ERRORS.IntrinsicFailure,
      STATES_ERRORS.ParameterPathFailure,
      STATES_ERRORS.NoChoiceMatched,
    ]) {
      const error = statesFailure(spec, 'why');
      expect(error.name).toBe('States.Runtime');
      expect(error.specError).toBe(spec);
    }
    const kept = statesFailure(STATES_ERRORS.ResultPathMatchFailure, 'why');
    expect(kept.name).toBe('States.ResultPathMatchFailure');
    expect(kept.specError).toBeUndefined();
  });

  it('lists every reserved name with the States. prefix', () => {
    const names = Object.values(STATES_ERRORS);
    expect(names).toHaveLength(16);
    for (const name of names) expect(name.startsWith('States.')).toBe(true);
  });
});

describe('errorMatches', () => {
  it('matches an exact name, for Retry and for Catch', () => {
    expect(errorMatches('Lambda.ServiceException', ['Lambda.ServiceException'], true)).toBe(true);
    expect(errorMatches('Lambda.ServiceException', ['Lambda.TooManyRequestsException'], false)).toBe(false);
  });

  it('lets States.ALL match any error except the terminal ones', () => {
    expect(errorMatches('MyError', ['States.ALL'], true)).toBe(true);
    expect(errorMatches('States.Timeout', ['States.ALL'], false)).toBe(true);
    expect(errorMatches('States.Runtime', ['States.ALL'], true)).toBe(false);
    expect(errorMatches('States.Runtime', ['States.ALL'], false)).toBe(false);
    expect(errorMatches('States.DataLimitExceeded', ['States.ALL'], false)).toBe(false);
  });

  it('never matches States.Runtime, even by name', () => {
    expect(errorMatches('States.Runtime', ['States.Runtime'], false)).toBe(false);
    expect(errorMatches('States.Runtime', ['States.Runtime'], true)).toBe(false);
  });

  it('matches States.DataLimitExceeded only when named', () => {
    expect(errorMatches('States.DataLimitExceeded', ['States.DataLimitExceeded'], false)).toBe(true);
  });

  it('lets States.TaskFailed match any error except timeouts', () => {
    expect(errorMatches('CustomError', ['States.TaskFailed'], true)).toBe(true);
    expect(errorMatches('States.Permissions', ['States.TaskFailed'], true)).toBe(true);
    expect(errorMatches('States.Timeout', ['States.TaskFailed'], true)).toBe(false);
    expect(errorMatches('States.HeartbeatTimeout', ['States.TaskFailed'], false)).toBe(false);
    expect(errorMatches('States.DataLimitExceeded', ['States.TaskFailed'], false)).toBe(false);
  });

  it('lets States.Timeout match a heartbeat timeout', () => {
    expect(errorMatches('States.HeartbeatTimeout', ['States.Timeout'], true)).toBe(true);
    expect(errorMatches('States.Timeout', ['States.HeartbeatTimeout'], true)).toBe(false);
  });

  it('matches when any entry of ErrorEquals matches', () => {
    expect(errorMatches('B', ['A', 'B'], false)).toBe(true);
    expect(errorMatches('C', ['A', 'B'], false)).toBe(false);
    expect(errorMatches('C', [], false)).toBe(false);
  });
});
