/** The image pipeline: the handler factory, the built-in extractor and their types. */
export {
  createImageExtractionHandler,
  payloadToProperty,
  toWorkerError,
  type ImageHandlerOptions,
} from './handler.js';
export { createDefaultExtractor, type DefaultExtractorOptions } from './default-extractor.js';
export { SourceError } from './source-error.js';
export { addressSlug } from './property-folder.js';
export { isPrivateAddress } from './address-guard.js';
export {
  readPropertiesCsv,
  type PropertiesCsv,
  type PropertiesCsvOptions,
} from './properties-csv.js';
export { builtinHandler, isBuiltinSpec } from './builtin.js';
export type {
  ExtractContext,
  ExtractionResult,
  FailedSource,
  ImageExtractor,
  Property,
  StoredImage,
} from './types.js';
