/** B: a bare Express 5 hello on PORT (the yardstick of the probe and /api/me targets). */
import express from 'express';
import { installProbe } from './probe-ipc.js';

installProbe();
const app = express();
app.get('/', (_req, res) => {
  res.json({ hello: 'world' });
});
app.listen(Number(process.env.PORT), '127.0.0.1');
