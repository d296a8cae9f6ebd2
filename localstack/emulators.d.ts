/**
 * Type declarations for the three in-process AWS emulators the embedded stack runs. None of them ships
 * its own types; only the parts the stack calls are declared, so a change in how we use them shows up
 * here first.
 */

declare module 'kinesalite' {
  import type { Server } from 'node:http';

  /** Options kinesalite reads; durations are how long a stream stays CREATING / DELETING / UPDATING. */
  interface KinesaliteOptions {
    readonly createStreamMs?: number;
    readonly deleteStreamMs?: number;
    readonly updateStreamMs?: number;
    readonly shardLimit?: number;
    /** LevelDB directory; in memory when absent. */
    readonly path?: string;
    readonly ssl?: boolean;
  }

  /** Builds the HTTP server (not yet listening); its `close` also closes the in-memory database. */
  function kinesalite(options?: KinesaliteOptions): Server;
  export default kinesalite;
}

declare module 'dynalite' {
  import type { Server } from 'node:http';

  /** Options dynalite reads; durations are how long a table stays CREATING / DELETING / UPDATING. */
  interface DynaliteOptions {
    readonly createTableMs?: number;
    readonly deleteTableMs?: number;
    readonly updateTableMs?: number;
    readonly maxItemSizeKb?: number;
    /** LevelDB directory; in memory when absent. */
    readonly path?: string;
    readonly ssl?: boolean;
  }

  /** Builds the HTTP server (not yet listening); its `close` also closes the in-memory database. */
  function dynalite(options?: DynaliteOptions): Server;
  export default dynalite;
}

declare module 's3rver' {
  import type { AddressInfo } from 'node:net';

  /** Options s3rver reads. */
  interface S3rverOptions {
    readonly address?: string;
    readonly port?: number;
    readonly silent?: boolean;
    /** Where buckets and objects are stored, as plain files. */
    readonly directory?: string;
    readonly resetOnClose?: boolean;
    readonly allowMismatchedSignatures?: boolean;
    readonly vhostBuckets?: boolean;
    readonly serviceEndpoint?: string;
  }

  /** A Koa application serving the S3 REST API from a directory. */
  class S3rver {
    constructor(options?: S3rverOptions);
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }
  export default S3rver;
}
