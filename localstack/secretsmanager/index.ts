/** The local Secrets Manager: what the edge registers under the `secretsmanager` signing name. */
export { createSecretsManagerEmulator } from './SecretsManagerEmulator.ts';
