/** The local Secrets Manager's surface. */
export { createSecretsManagerEmulator } from './SecretsManagerEmulator.ts';
