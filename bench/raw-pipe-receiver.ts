/**
 * The baseline receivers of the pipe benches, run in a child process: a plain
 * net socket counting 'data' events, or one reading into a static `onread`
 * buffer (the socket ceiling, node-datapath.md). Reports its port, then the
 * byte count once `expected` bytes have arrived, over the IPC channel.
 */
import net from 'node:net';

const MiB = 1 << 20;

export function rawPipeReceiver(mode: 'data' | 'onread', expected: number): void {
  let got = 0;
  const done = (): void => void process.send!({ got });
  const rx = new Uint8Array(MiB);
  const server = net.createServer({ pauseOnConnect: mode === 'onread' }, (c) => {
    server.close();
    if (mode === 'data') {
      c.on('data', (b: Buffer) => {
        got += b.length;
        if (got >= expected) done();
      });
      return;
    }
    // Adopt the accepted handle into a socket that reads into one static buffer.
    const handle = (c as unknown as { _handle: unknown })._handle;
    const s = new net.Socket({
      handle,
      onread: {
        buffer: rx,
        callback: (n: number) => {
          got += n;
          if (got >= expected) done();
          return true;
        },
      },
    } as net.SocketConstructorOpts);
    (c as unknown as { _handle: unknown })._handle = null;
    s.on('end', () => s.destroy());
  });
  server.listen(0, '127.0.0.1', () => {
    process.send!({ port: (server.address() as net.AddressInfo).port });
  });
}
