export { customerEventsWorkflow } from './customer-events';
