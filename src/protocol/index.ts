/**
 * livemig/protocol: pure codecs for QEMU's migration stream (QEMU 8.1 format)
 * and its return path. No I/O here; feed bytes in, get typed records out.
 */
export * from './constants.js';
export { ByteReader, ByteWriter, NeedMoreData, latin1, latin1Bytes } from './bytes.js';
export { DEFAULT_LIMITS, type DecodeLimits } from './limits.js';
export { HEADER_SIZE, readFileHeader, writeFileHeader } from './header.js';
export {
  formatUuid,
  readConfiguration,
  writeConfiguration,
  type Configuration,
} from './configuration.js';
export {
  readCommand,
  writeCommand,
  type DiscardRange,
  type MigCommand,
  type MigCommandName,
} from './commands.js';
export {
  SECTION_KIND_BYTE,
  writeEof,
  writeSectionContinuation,
  writeSectionFooter,
  writeSectionHeader,
  writeVmdesc,
  type SectionKind,
} from './sections.js';
export { RamEncoder, type RamBlockInfo } from './ram-encoder.js';
export { RamDecoder, type RamBlockState, type RamDecoderOptions } from './ram-decoder.js';
export type { SectionInfo, StreamRecord, StreamRecordKind } from './records.js';
export {
  StreamDecoder,
  defaultResolver,
  type SectionFormat,
  type SectionResolver,
  type StreamDecoderOptions,
} from './stream-decoder.js';
export { decodeStream } from './decode-stream.js';
export { StreamWriter, type StreamSink } from './stream-writer.js';
export {
  ULEB128_SMALL_MAX,
  uleb128DecodeSmall,
  uleb128EncodeSmall,
  xbzrleDecode,
  xbzrleEncode,
  type UlebSmall,
} from './xbzrle.js';
export {
  RP_MAX_PAYLOAD,
  ReturnPathDecoder,
  encodeRpMessage,
  type ReturnPathDecoderOptions,
  type RpMessage,
} from './return-path.js';
export * from './vmstate/index.js';
