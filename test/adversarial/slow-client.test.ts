/**
 * Issue 10 defect 8 (slowloris): a client that sends its headers or its body a byte at a time must be cut off
 * once `server.headersTimeout` / `server.requestTimeout` (seconds) have passed, so such connections cannot pile
 * up; the server keeps answering everyone else meanwhile. Raw sockets, because an HTTP client will not be slow.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';

const pg = await postgresAvailable();
const HEADERS_TIMEOUT = 1;
const REQUEST_TIMEOUT = 2;
/** Generous slack for a loaded CI machine; the defect kept such connections open for more than 300 s. */
const GIVE_UP_MS = 10_000;
const CONNECTIONS = 10;

interface Slow {
  socket: Socket;
  closedAfter: Promise<number>;
  stop(): void;
}

/** Opens a connection that writes `head` at once, then one more byte of `trickle` every 300 ms. */
function slowClient(port: number, head: string, trickle: string): Slow {
  const started = Date.now();
  const socket = connect(port, '127.0.0.1');
  let i = 0;
  const timer = setInterval(() => {
    if (i < trickle.length && !socket.destroyed) socket.write(trickle[i++]!);
  }, 300);
  socket.on('connect', () => socket.write(head));
  socket.on('data', () => undefined);
  socket.on('error', () => undefined);
  const closedAfter = new Promise<number>((res) => {
    socket.on('close', () => {
      clearInterval(timer);
      res(Date.now() - started);
    });
    setTimeout(() => res(Infinity), GIVE_UP_MS).unref();
  });
  return {
    socket,
    closedAfter,
    stop: () => {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

describe.each(DIALECTS)('slow clients are cut off (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  const open: Slow[] = [];
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect, { server: { headersTimeout: HEADERS_TIMEOUT, requestTimeout: REQUEST_TIMEOUT } });
    srv = await dep.serve();
  });
  afterAll(async () => {
    for (const s of open) s.stop();
    await dep?.cleanup();
  });

  it.skipIf(skip)(`${CONNECTIONS} slow-header and ${CONNECTIONS} slow-body connections are closed by the timeouts; others are served meanwhile`, async () => {
    const port = Number(new URL(srv.url).port);
    const slowHeaders = Array.from({ length: CONNECTIONS }, () =>
      slowClient(port, 'POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: ' + 'a'.repeat(200)),
    );
    const body = 'grant_type=client_credentials&'.padEnd(1000, 'x');
    const slowBodies = Array.from({ length: CONNECTIONS }, () =>
      slowClient(port, `POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`, body.slice(10)),
    );
    open.push(...slowHeaders, ...slowBodies);
    // While they hang on, an ordinary request is answered at once.
    await new Promise((r) => setTimeout(r, 500));
    expect((await fetch(`${srv.url}/readyz`)).status).toBe(200);
    const headerTimes = await Promise.all(slowHeaders.map((s) => s.closedAfter));
    const bodyTimes = await Promise.all(slowBodies.map((s) => s.closedAfter));
    // Closed, and not before the configured limit (no false cut-offs of a merely slow network).
    expect(headerTimes.filter((t) => t === Infinity).length, `slow headers still open after ${GIVE_UP_MS} ms`).toBe(0);
    expect(bodyTimes.filter((t) => t === Infinity).length, `slow bodies still open after ${GIVE_UP_MS} ms`).toBe(0);
    expect(Math.min(...headerTimes)).toBeGreaterThanOrEqual(HEADERS_TIMEOUT * 1000 - 100);
    expect(Math.min(...bodyTimes)).toBeGreaterThanOrEqual(REQUEST_TIMEOUT * 1000 - 100);
    expect((await fetch(`${srv.url}/readyz`)).status).toBe(200);
  });
});
