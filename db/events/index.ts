/** Customer events: recording (single and batch), anonymous visitors identifying, registered event types. */
export { identifyVisitor, visitorIdentifiedType } from './identify-visitor';
export { recordCustomerEvent, recordCustomerEventBatch } from './record-batch';
export { customerEventRecordedType, recordCustomerEvents, type EventOutcome } from './record-events';
export {
  createEventType,
  listEventTypes,
  registeredEventTypes,
  setEventTypeStatus,
  updateEventType,
} from './event-types';
