/** The HTML report of live migrations: render RunRecords, and read them back from JSON. */
export { renderReport, DEFAULT_TITLE, type RenderOptions } from './render.js';
export { parseRunRecord, parseRunRecords, RunRecordError } from './validate.js';
export * from './run-record.js';
export * from './format.js';
