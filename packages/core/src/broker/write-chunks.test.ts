import { describe, expect, it } from 'vitest';
import { RecordingSink } from './recording-sink.js';
import { writeChunks } from './write-chunks.js';

/** A RecordingSink that also keeps each chunk as it was handed over. */
class ChunkSink extends RecordingSink {
  chunks: (Buffer | string)[] = [];
  override write(chunk: Buffer | string): boolean {
    this.chunks.push(chunk);
    return super.write(chunk);
  }
}

describe('writeChunks', () => {
  it('joins small pieces into one chunk, in order', () => {
    const sink = new ChunkSink();
    expect(writeChunks(sink, [Buffer.from('a'), Buffer.from('b')], 'c')).toBe(true);
    expect(sink.chunks).toHaveLength(1);
    expect(sink.text).toBe('abc');
  });

  it('hands a large page to the socket as it is, not copied, and reports a full socket', () => {
    const sink = new ChunkSink();
    const page = Buffer.alloc(100 * 1024, 'x');
    expect(writeChunks(sink, [page], 'event: lag\n\n')).toBe(true);
    expect(sink.chunks[0]).toBe(page);
    expect(sink.chunks[1]).toBe('event: lag\n\n');
    sink.full = true;
    expect(writeChunks(sink, [page, page], '')).toBe(false);
    expect(sink.chunks.slice(2)).toEqual([page, page]);
  });
});
