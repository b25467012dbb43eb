import { createServer as createHttpServer, type Server, type ServerResponse } from 'node:http';
import { connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ChaosProxy } from './chaos-proxy.js';
import { openSse } from './sse-connection.js';
import { delay, waitFor } from './wait-for.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function listen(server: Server | ReturnType<typeof createServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function proxyTo(port: number): Promise<ChaosProxy> {
  const proxy = await ChaosProxy.start({ port });
  closers.push(() => proxy.close());
  return proxy;
}

/** An SSE server whose open responses the test writes events to by hand. */
async function sseServer(): Promise<{ port: number; responses: ServerResponse[]; send: (seq: number) => void }> {
  const responses: ServerResponse[] = [];
  const server = createHttpServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.write(': open\n\n');
    responses.push(response);
  });
  closers.push(async () => {
    for (const response of responses) response.destroy();
  });
  const port = await listen(server);
  return { port, responses, send: (seq) => responses.at(-1)?.write(`id: s:${seq}\ndata: {"seq":${seq},"msg":"${'m'.repeat(40)}"}\n\n`) };
}

describe('ChaosProxy', () => {
  it('forwards bytes both ways unchanged', async () => {
    const echo = createServer((socket) => socket.pipe(socket));
    const proxy = await proxyTo(await listen(echo));
    const socket = connect(proxy.port, '127.0.0.1');
    const payload = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.write(payload);
    await waitFor(() => Buffer.concat(received).length === payload.length);
    expect(Buffer.concat(received).equals(payload)).toBe(true);
    socket.destroy();
    expect(proxy.accepted).toBe(1);
  });

  it('cuts after exactly N bytes and records the cut as mid-event with bytes in flight', async () => {
    const upstream = await sseServer();
    const proxy = await proxyTo(upstream.port);
    const events: string[] = [];
    let ended = false;
    openSse(proxy.url('/'), {}, { onEvent: (message) => events.push(message.lastEventId), onEnd: () => (ended = true) });
    await waitFor(() => upstream.responses.length === 1);
    upstream.send(1);
    await waitFor(() => events.length === 1);
    // Let 30 bytes of the next event through: about half of it.
    proxy.cutAllAfter(30);
    upstream.send(2);
    await waitFor(() => ended);
    expect(events).toEqual(['s:1']);
    expect(proxy.cuts).toBe(1);
    const [record] = proxy.cutRecords;
    expect(record).toMatchObject({ midEvent: true, inFlight: true });
    expect(record?.dropped).toBeGreaterThan(0);
    expect(proxy.cutStats()).toEqual({ total: 1, midEvent: 1, inFlight: 1 });
  });

  it('carries a budget over to the next connection when its own closes before spending it', async () => {
    const echo = createServer((socket) => socket.pipe(socket));
    const proxy = await proxyTo(await listen(echo));
    const first = connect(proxy.port, '127.0.0.1');
    await waitFor(() => proxy.open === 1);
    proxy.cutAllAfter(30, { carryOver: true });
    // The client gives up on its connection first, as a watchdog does: no cut yet.
    first.destroy();
    await waitFor(() => proxy.open === 0);
    expect(proxy.cuts).toBe(0);
    const second = connect(proxy.port, '127.0.0.1');
    const received: Buffer[] = [];
    second.on('data', (chunk: Buffer) => received.push(chunk));
    const closed = new Promise((resolve) => second.on('close', resolve));
    second.write(Buffer.alloc(100, 0x61));
    await closed;
    expect(Buffer.concat(received).length).toBe(30);
    expect(proxy.cuts).toBe(1);
    // A reconnect that came before the old connection's close reached the proxy gets it too.
    const open = connect(proxy.port, '127.0.0.1');
    await waitFor(() => proxy.open === 1);
    proxy.cutAllAfter(20, { carryOver: true });
    const early = connect(proxy.port, '127.0.0.1');
    const got: Buffer[] = [];
    early.on('data', (chunk: Buffer) => got.push(chunk));
    const earlyClosed = new Promise((resolve) => early.on('close', resolve));
    await waitFor(() => proxy.open === 2);
    open.destroy();
    await waitFor(() => proxy.open === 1);
    early.write(Buffer.alloc(100, 0x63));
    await earlyClosed;
    expect(Buffer.concat(got).length).toBe(20);
    expect(proxy.cuts).toBe(2);
    // Spent: the connection after that one is not cut.
    const third = connect(proxy.port, '127.0.0.1');
    const echoed: Buffer[] = [];
    third.on('data', (chunk: Buffer) => echoed.push(chunk));
    third.write(Buffer.alloc(100, 0x62));
    await waitFor(() => Buffer.concat(echoed).length === 100);
    third.destroy();
    expect(proxy.cuts).toBe(2);
  });

  it('records a cut of an idle reader between events as neither mid-event nor in flight', async () => {
    const upstream = await sseServer();
    const proxy = await proxyTo(upstream.port);
    const events: string[] = [];
    openSse(proxy.url('/'), {}, { onEvent: (message) => events.push(message.lastEventId) });
    await waitFor(() => upstream.responses.length === 1);
    upstream.send(1);
    await waitFor(() => events.length === 1);
    await delay(250);
    expect(proxy.cutAll()).toBe(1);
    expect(proxy.cutRecords).toEqual([{ forwarded: expect.any(Number), dropped: 0, midEvent: false, inFlight: false }]);
    expect(proxy.cutStats()).toEqual({ total: 1, midEvent: 0, inFlight: 0 });
  });

  it('records a cut that lands inside an event written in two pieces as mid-event', async () => {
    const upstream = await sseServer();
    const proxy = await proxyTo(upstream.port);
    openSse(proxy.url('/'), {}, {});
    await waitFor(() => upstream.responses.length === 1);
    const before = proxy.cutRecords.length;
    upstream.responses[0]?.write('id: s:1\ndata: {"seq":1');
    await waitFor(() => upstream.responses[0]?.writableLength === 0);
    await delay(50);
    proxy.cutAll();
    expect(proxy.cutRecords.slice(before)).toEqual([expect.objectContaining({ midEvent: true, dropped: 0 })]);
  });

  it('refuses new connections while refusing, and stalls without closing', async () => {
    const upstream = await sseServer();
    const proxy = await proxyTo(upstream.port);
    proxy.refuse(true);
    let refusedEnd: Error | undefined | 'clean';
    openSse(proxy.url('/'), {}, { onEnd: (error) => (refusedEnd = error ?? 'clean') });
    await waitFor(() => refusedEnd !== undefined);
    expect(proxy.accepted).toBe(0);
    proxy.refuse(false);
    const events: string[] = [];
    openSse(proxy.url('/'), {}, { onEvent: (message) => events.push(message.lastEventId) });
    await waitFor(() => upstream.responses.length === 1);
    proxy.stall();
    upstream.send(1);
    await delay(200);
    expect(events).toEqual([]);
    expect(proxy.open).toBe(1);
    proxy.resume();
    await waitFor(() => events.length === 1);
  });
});
