export { customerEventsWorkflow } from './customer-events';
export { maintenanceWorkflow } from './maintenance';
export { segmentRecomputeWorkflow } from './segments';
