import { connect } from 'node:net';

/** ZooKeeper's `srvr` four-letter word: the node's quorum mode ('leader', 'follower', ...), or null if it serves none yet. */
export function zookeeperMode(host: string, port: number, timeoutMs = 2000): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = '';
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.on('connect', () => socket.write('srvr'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(/^Mode: (\w+)/m.exec(reply)?.[1] ?? null));
  });
}
