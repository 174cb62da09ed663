export { StrOrNull, t } from './types.js';
export type {
  AlternateType,
  EnumType,
  Infer,
  ListType,
  Members,
  OptionalMember,
  SchemaType,
  StructType,
} from './types.js';
export { validateArgs, validateValue } from './visitor.js';
