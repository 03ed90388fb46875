import { createServer } from 'node:net';

/**
 * Ports handed out below the kernel's ephemeral range (Linux: 32768–60999). A port from the
 * ephemeral range (`listen(0)`) is free when probed but can be taken by any outgoing connection
 * (a PostgreSQL client, a browser, a socket.io client) before the spec's server binds it: that
 * race failed CI runs with EADDRINUSE. Below the range only another listener can take it.
 */
const LOW = 20_000;
const HIGH = 32_000;

function tryListen(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : null));
    });
  });
}

/** A TCP port free on 127.0.0.1 right now (for servers a spec starts). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await tryListen(LOW + Math.floor(Math.random() * (HIGH - LOW)));
    if (port !== null) return port;
  }
  const port = await tryListen(0);
  if (port === null) throw new Error('no free TCP port on 127.0.0.1');
  return port;
}
