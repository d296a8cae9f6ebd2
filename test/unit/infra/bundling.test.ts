import { OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { describe, expect, it } from 'vitest';
import { cdkBundlingOptions, esbuildOptions, LAMBDA_BUNDLE } from '../../../infra/bundling.ts';

describe('shared bundle settings', () => {
  it('give the CDK app and the benchmark the same esbuild configuration', () => {
    // Act
    const cdk = cdkBundlingOptions();
    const api = esbuildOptions();

    // Assess
    expect(cdk).toMatchObject({
      target: api.target,
      format: OutputFormat.ESM,
      minify: api.minify,
      sourceMap: api.sourcemap,
      sourceMapMode: SourceMapMode.DEFAULT,
      sourcesContent: api.sourcesContent,
      mainFields: api.mainFields,
      banner: api.banner.js,
      externalModules: api.external,
      bundleAwsSDK: true,
      forceDockerBundling: false,
    });
    expect(api).toMatchObject({
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      external: ['cpu-features', '*.node'],
    });
  });

  it('follows a change of the one settings object in both forms', () => {
    // Act
    const settings = { ...LAMBDA_BUNDLE, minify: false, sourceMap: false, external: ['pg-native'] };

    // Assess
    expect(cdkBundlingOptions(settings)).toMatchObject({
      minify: false,
      sourceMap: false,
      externalModules: ['pg-native'],
    });
    expect(cdkBundlingOptions(settings).sourceMapMode).toBeUndefined();
    expect(esbuildOptions(settings)).toMatchObject({
      minify: false,
      sourcemap: false,
      external: ['pg-native'],
    });
  });
});
