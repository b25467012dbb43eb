import { describe, expect, it } from 'vitest';
import { createCuttingFetch } from './cutting-fetch.js';

const HELLO = 'event: hello\nid: s1:0\nretry: 2000\ndata: {"stream":"s1"}\n\n';
const ENTRY = 'id: s1:1\ndata: {"seq":1}\n\n';

/** An inner fetch answering one event stream made of `chunks`. */
function serving(chunks: string[]): typeof fetch {
  return (async () => {
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
        controller.close();
      },
    });
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
  }) as typeof fetch;
}

/** Reads a body to its end or its error: the text that got through, and whether it failed. */
async function drain(response: Response): Promise<{ text: string; failed: boolean }> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text, failed: false };
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    return { text, failed: true };
  }
}

/** A random() that makes the byte budget exactly `bytes` under `maxBytes` 1000. */
const budgetOf = (bytes: number) => () => (bytes + 0.5) / 1000;

describe('createCuttingFetch', () => {
  it('counts a cut inside the first event (hello) as before hello', async () => {
    const cutting = createCuttingFetch({ cuts: 1, maxBytes: 1000, random: budgetOf(10), fetch: serving([HELLO + ENTRY]) });
    expect(await drain(await cutting.fetch('http://x/'))).toEqual({ text: HELLO.slice(0, 10), failed: true });
    expect(cutting.report).toEqual({ cuts: 1, midEvent: 1, beforeHello: 1, connections: 1, lastCutConnection: 1 });
  });

  it('counts a cut right after the blank line ending hello as after it, and not mid-event', async () => {
    // The blank line arrives split over two chunks: the end of the first event is still found.
    const chunks = [HELLO.slice(0, -1), `\n${ENTRY}`];
    const cutting = createCuttingFetch({ cuts: 1, maxBytes: 1000, random: budgetOf(HELLO.length), fetch: serving(chunks) });
    expect(await drain(await cutting.fetch('http://x/'))).toEqual({ text: HELLO, failed: true });
    expect(cutting.report).toMatchObject({ cuts: 1, midEvent: 0, beforeHello: 0 });
  });

  it('hands the reader every byte before the cut, even when it reads only after the cut was made', async () => {
    // Regression: with a queue, error() discarded the queued prefix, so a hello the report counted
    // as delivered never reached the reader.
    const cutting = createCuttingFetch({ cuts: 1, maxBytes: 1000, random: budgetOf(HELLO.length + 5), fetch: serving([HELLO + ENTRY]) });
    const response = await cutting.fetch('http://x/');
    await new Promise((resolve) => setImmediate(resolve));
    expect(await drain(response)).toEqual({ text: HELLO + ENTRY.slice(0, 5), failed: true });
    expect(cutting.report).toMatchObject({ cuts: 1, midEvent: 1, beforeHello: 0 });
  });

  it('stops cutting after `cuts`, and still counts the connections it passes through', async () => {
    const cutting = createCuttingFetch({ cuts: 1, maxBytes: 1000, random: budgetOf(3), fetch: serving([HELLO, ENTRY]) });
    expect((await drain(await cutting.fetch('http://x/'))).failed).toBe(true);
    expect(await drain(await cutting.fetch('http://x/'))).toEqual({ text: HELLO + ENTRY, failed: false });
    expect(cutting.report).toEqual({ cuts: 1, midEvent: 1, beforeHello: 1, connections: 2, lastCutConnection: 1 });
  });
});
