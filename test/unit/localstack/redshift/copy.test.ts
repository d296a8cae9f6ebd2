import { describe, expect, it } from 'vitest';
import { CopyError, parseS3Copy, postgresCopy } from '../../../../localstack/redshift/copy.ts';

describe('parseS3Copy', () => {
  it('reads the table, columns, S3 path and the CSV options of a Redshift COPY', () => {
    // Act
    const copy = parseS3Copy(
      "-- staging\nCOPY stg_item (item_id, price) FROM 's3://data/sales/2026-01-15/item.csv' IAM_ROLE default FORMAT AS CSV IGNOREHEADER 1 NULL AS 'n/a';",
    );

    // Assess
    expect(copy).toEqual({
      table: 'stg_item',
      columns: '(item_id, price)',
      bucket: 'data',
      prefix: 'sales/2026-01-15/item.csv',
      csv: true,
      delimiter: ',',
      ignoreHeader: 1,
      nullAs: 'n/a',
    });
  });

  it("takes Redshift's default text format, pipe-delimited, when CSV is not named", () => {
    expect(
      parseS3Copy("copy s.t from 's3://b/p/' credentials 'aws_iam_role=arn:x' region as 'eu-west-1'"),
    ).toMatchObject({ table: 's.t', csv: false, delimiter: '|', ignoreHeader: 0 });
  });

  it('leaves statements that are not a COPY from S3 alone', () => {
    expect(parseS3Copy('select 1')).toBeUndefined();
    expect(parseS3Copy("COPY t FROM '/tmp/file.csv'")).toBeUndefined();
  });

  it('refuses an option the emulation does not serve, naming it', () => {
    expect(() => parseS3Copy("COPY t FROM 's3://b/k' IAM_ROLE default GZIP")).toThrow(
      new CopyError('COPY t: option GZIP is not served by the local Redshift emulation'),
    );
    expect(() => parseS3Copy("COPY t FROM 's3://b/k' FORMAT AS PARQUET")).toThrow(/FORMAT PARQUET/);
  });
});

describe('postgresCopy', () => {
  it('drops each object header and joins the objects for COPY FROM /dev/blob', () => {
    // Prepare
    const copy = parseS3Copy("COPY t FROM 's3://b/k' CSV IGNOREHEADER 1");
    if (copy === undefined) throw new Error('not parsed');

    // Act
    const result = postgresCopy(copy, ['a,b\n1,x\n', 'a,b\r\n2,y']);

    // Assess
    expect(result).toEqual({
      sql: "COPY t  FROM '/dev/blob' WITH (FORMAT csv, DELIMITER ',')",
      blob: '1,x\n2,y\n',
    });
  });
});
