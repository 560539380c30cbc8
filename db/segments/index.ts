/**
 * Segments in PostgreSQL: definitions (versioned), the compiler to one SQL predicate, materialised
 * membership (full recompute, the refresh of queued customers, due recomputes), reads and static lists.
 */
export { conditionPredicate, eligibleCustomers, type SegmentClock, type SegmentReferences } from './compile';
export { programVocabulary, segmentClock, storedCondition, type ProgramVocabulary } from './references';
export * from './segments';
export * from './membership';
export * from './queries';
export * from './lists';
