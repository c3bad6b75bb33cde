/** The yardstick of per-socket memory: a bare `ws` server on PORT that accepts and holds every socket. */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { installProbe } from './probe-ipc.js';

installProbe();
const server = createServer((_req, res) => {
  res.end('ok');
});
const sockets = new WebSocketServer({ server, perMessageDeflate: false });
sockets.on('connection', (socket) => {
  socket.send(JSON.stringify({ type: 'welcome' }));
});
server.listen(Number(process.env.PORT), '127.0.0.1');
