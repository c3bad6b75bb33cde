/** A: the floor, a node:http hello on PORT. */
import { createServer } from 'node:http';
import { installProbe } from './probe-ipc.js';

installProbe();
const body = JSON.stringify({ hello: 'world' });
createServer((_req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
}).listen(Number(process.env.PORT), '127.0.0.1');
