/** The local SNS: what the edge registers under the `sns` signing name, its filter policies and its email inbox. */
export { compileFilterPolicy, FilterPolicyError } from './filterPolicy.ts';
export type { EmailNotification } from './inbox.ts';
export { createSnsEmulator, type SnsEmulator } from './SnsEmulator.ts';
