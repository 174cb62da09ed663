/** Decoding a complete in-memory stream at once (tests, small files). */
import type { StreamRecord } from './records.js';
import { StreamDecoder, type StreamDecoderOptions } from './stream-decoder.js';

/**
 * Decodes a complete stream held in memory, or a list of chunks, and returns
 * its records with byte views copied so they outlive the call.
 */
export function decodeStream(
  input: Uint8Array | readonly Uint8Array[],
  opts: Omit<StreamDecoderOptions, 'onRecord'> = {},
): StreamRecord[] {
  const out: StreamRecord[] = [];
  const dec = new StreamDecoder({
    ...opts,
    onRecord: (rec) => {
      if ('data' in rec) out.push({ ...rec, data: new Uint8Array(rec.data) });
      else out.push(rec);
    },
  });
  const chunks = input instanceof Uint8Array ? [input] : input;
  for (const c of chunks) dec.push(c);
  dec.end();
  return out;
}
