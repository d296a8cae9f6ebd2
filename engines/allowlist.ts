/**
 * The Task resources the shipped engines call, as allowlist patterns (`ROUTER_RESOURCE_ALLOWLIST`): the
 * step functions of `handlers/`, the AWS SDK actions of seed 003 and the S3 reads and writes of the
 * distributed Maps (ItemReader, ResultWriter). A deployment that runs these engines
 * sets this list, and `router engine validate` / `engine run` check the graphs against it.
 */
export const ENGINES_ALLOWLIST: readonly string[] = [
  'arn:aws:lambda:*:*:function:*',
  'arn:aws:states:::lambda:invoke',
  'arn:aws:states:::aws-sdk:s3:getObject',
  'arn:aws:states:::aws-sdk:s3:putObject',
  'arn:aws:states:::aws-sdk:s3:listObjectsV2',
  'arn:aws:states:::s3:getObject',
  'arn:aws:states:::s3:listObjectsV2',
  'arn:aws:states:::s3:putObject',
  'arn:aws:states:::aws-sdk:redshiftdata:batchExecuteStatement',
  'arn:aws:states:::aws-sdk:redshiftdata:executeStatement',
  'arn:aws:states:::aws-sdk:redshiftdata:describeStatement',
  'arn:aws:states:::aws-sdk:redshiftdata:getStatementResult',
  'arn:aws:states:::states:startExecution.sync:2',
  'arn:aws:states:::sns:publish',
];
