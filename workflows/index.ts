export { customerEventsWorkflow } from './customer-events';
export { maintenanceWorkflow } from './maintenance';
export { segmentListUploadWorkflow } from './segment-lists';
export { segmentRecomputeWorkflow } from './segments';
