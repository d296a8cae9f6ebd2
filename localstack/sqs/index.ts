/** The local SQS: what the edge registers under the `sqs` signing name, and its queues for SNS and EventBridge. */
export { type MessageAttributeValue, md5OfMessageAttributes } from './md5.ts';
export { createSqsEmulator, fromQuery, type SqsEmulator, toXml } from './SqsEmulator.ts';
