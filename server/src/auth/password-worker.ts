/** Worker thread of PasswordWorkerPool: bcrypt (pure JavaScript, ~280 ms at cost 12) off the event loop. */
import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';
import type { PasswordJob, PasswordJobResult } from './password-pool.js';

parentPort?.on('message', (job: PasswordJob) => {
  let reply: PasswordJobResult;
  try {
    reply =
      job.op === 'hash'
        ? { id: job.id, value: bcrypt.hashSync(job.password, job.rounds) }
        : { id: job.id, value: bcrypt.compareSync(job.password, job.hash) };
  } catch (error) {
    reply = { id: job.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(reply);
});
