/**
 * GB/T 26875.3-2011 (城市消防远程监控系统 第3部分：报警传输网络通信协议): the alarm transmission
 * network protocol between a building's user information transmission device (UITD) and the
 * monitoring centre. A codec with no framework dependency: stream reader, decoder, encoder,
 * reply builders and the code tables.
 */
export * from './lib/gb26875.error';
export * from './lib/code.table';
export * from './lib/bit.table';
export * from './lib/frame.model';
export {
  buildConfirm,
  buildDeny,
  buildReply,
  checkFraming,
  decodeAdu,
  decodeFrame,
  encodeAdu,
  encodeFrame,
  frameChecksum,
  readFrameHeader,
  FRAME_OVERHEAD,
  HEADER_LENGTH,
  MAX_ADU_LENGTH,
  MAX_FRAME_LENGTH,
  type DecodeOptions,
  type DecodeResult,
  type EncodeOptions,
  type FrameHeader,
  type FrameInput,
} from './lib/frame.codec';
export { FrameReader, type FrameReaderStats, type FrameSink } from './lib/frame.reader';
export { parseHex, toHex } from './lib/hex.util';
export { timeLabelFromDate, timeLabelToDate, type TimeEncoding } from './lib/time-label.codec';
export { TimeLabelClock } from './lib/time-label.clock';
export { DESCRIPTION_SIZE } from './lib/adu-object.codec';
