/** Customer events: the JSON Schema of an event type's properties, checked and compiled to zod. */
export {
  checkPropertiesSchema,
  propertiesChecker,
  propertiesMismatch,
  propertiesSchemaSchema,
  propertyFormats,
  type PropertiesSchema,
} from './properties-schema';
export { anonymousStreamKey, derivedAnonymousId, eventStreamKey } from './stream-key';
