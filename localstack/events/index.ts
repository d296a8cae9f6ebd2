/** The local EventBridge: what the edge registers under the `events` signing name. */
export { createEventBridgeEmulator, type EventBridgeEmulator } from './EventBridgeEmulator.ts';
