import { describe, expect, it } from 'vitest';
import { toField } from '../../../../localstack/redshift/index.ts';

describe('toField', () => {
  it('types Postgres text values the way the Data API tags them', () => {
    expect(toField(null, 23)).toEqual({ isNull: true });
    expect(toField('42', 20)).toEqual({ longValue: 42 });
    expect(toField('2.5', 701)).toEqual({ doubleValue: 2.5 });
    expect(toField('NaN', 701)).toEqual({ stringValue: 'NaN' });
    expect(toField('12.30', 1700)).toEqual({ stringValue: '12.30' });
    expect(toField('t', 16)).toEqual({ booleanValue: true });
    expect(toField('f', 16)).toEqual({ booleanValue: false });
    expect(toField('\\x0102ff', 17)).toEqual({ blobValue: Buffer.from([1, 2, 255]).toString('base64') });
    expect(toField('2026-01-02 03:04:05', 1114)).toEqual({ stringValue: '2026-01-02 03:04:05' });
  });
});
