/**
 * Signs an `apigateway:invoke` request with `AuthType: IAM_ROLE` (Signature Version 4, service
 * `execute-api`) with the router's own credentials, as Step Functions signs it with the state machine's
 * role. The signer and the credential chain are the SDK's own packages, imported by name on first use so
 * the router bundle carries neither.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';

/** Signs a request; returns the headers to send (the given ones plus the signature's). */
export type RequestSigner = (request: {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: string | undefined;
}) => Promise<Headers>;

/** SHA-256 (keyed: HMAC) in the shape the SDK's signer takes. */
class Sha256 {
  private readonly hash: Hash | Hmac;

  constructor(secret?: string | Uint8Array) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }

  update(data: string | Uint8Array): void {
    this.hash.update(data);
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

type Load = (name: string) => Promise<Record<string, unknown>>;

const importByName: Load = (name) => import(name);

interface Signer {
  sign(request: unknown): Promise<{ headers: Record<string, string> }>;
}

function isSigner(value: unknown): value is Signer {
  return typeof value === 'object' && value !== null && 'sign' in value && typeof value.sign === 'function';
}

/** The region an `execute-api` host names (`abc.execute-api.eu-west-1.amazonaws.com`), else `fallback`. */
function regionOf(host: string, fallback: string): string {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(host)?.[1] ?? fallback;
}

/**
 * A signer over the SDK's SignatureV4 and the default credential chain (`credentials` replaces the chain,
 * for tests and for hosts that hold their own).
 */
export function iamRequestSigner(
  region: string,
  options: { readonly load?: Load; readonly credentials?: () => Promise<unknown> } = {},
): RequestSigner {
  const load = options.load ?? importByName;
  let credentials: Promise<() => Promise<unknown>> | undefined;
  const provider = (): Promise<() => Promise<unknown>> => {
    if (options.credentials !== undefined) return Promise.resolve(options.credentials);
    credentials ??= load('@aws-sdk/credential-provider-node').then((module) => {
      const make = module.defaultProvider;
      if (typeof make !== 'function')
        throw new Error('@aws-sdk/credential-provider-node has no defaultProvider');
      return make() as () => Promise<unknown>;
    });
    return credentials;
  };
  return async ({ url, method, headers, body }) => {
    const target = new URL(url);
    const module = await load('@smithy/signature-v4');
    const SignatureV4 = module.SignatureV4;
    if (typeof SignatureV4 !== 'function') throw new Error('@smithy/signature-v4 has no SignatureV4');
    const signer: unknown = Reflect.construct(SignatureV4, [
      {
        service: 'execute-api',
        region: regionOf(target.hostname, region),
        credentials: await provider(),
        sha256: Sha256,
      },
    ]);
    if (!isSigner(signer)) throw new Error('SignatureV4 has no sign method');
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(target.searchParams.keys())) {
      const values = target.searchParams.getAll(key);
      query[key] = values.length === 1 ? (values[0] ?? '') : values;
    }
    const plain: Record<string, string> = { host: target.host };
    headers.forEach((value, key) => {
      plain[key] = value;
    });
    const signed = await signer.sign({
      method,
      protocol: target.protocol,
      hostname: target.hostname,
      ...(target.port === '' ? {} : { port: Number(target.port) }),
      path: target.pathname,
      query,
      headers: plain,
      ...(body === undefined ? {} : { body }),
    });
    const out = new Headers();
    for (const [key, value] of Object.entries(signed.headers)) if (key !== 'host') out.set(key, value);
    return out;
  };
}
