/** Segment definitions: the condition tree and its schema, checks against a program, plain-English text, API shapes. */
export * from './definition';
export * from './validate';
export * from './describe';
export * from './calendar';
export * from './contracts';
