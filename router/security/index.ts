/**
 * The task-token secret: where it comes from (Secrets Manager or the environment), how a router signs
 * and verifies callback tokens across a rotation, and the rotation itself. The Secrets Manager SDK
 * adapter is not exported here: it is loaded on demand (`lazySecretsManagerReader`).
 */
export { TaskTokenSecretError } from './errors.ts';
export {
  lazySecretsManagerReader,
  readTaskTokenSecrets,
  type SecretVersion,
  type SecretVersionReader,
} from './readTaskTokenSecrets.ts';
export {
  type RotationEvent,
  type RotationSecretStore,
  rotateTaskTokenSecret,
} from './rotateTaskTokenSecret.ts';
export { type TaskTokenDeps, TaskTokenKeyring, type TaskTokenVerifier } from './TaskTokenKeyring.ts';
