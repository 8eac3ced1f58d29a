/**
 * The content build's worker thread (see builder.ts): parse, validate, train and self-test off the event loop,
 * and send the result back as data.
 */
import { parentPort } from 'node:worker_threads';
import { buildParts } from './build';
import { toTransfer, type BuildReply, type BuildRequest } from './transfer';

parentPort?.on('message', (req: BuildRequest) => {
  let reply: BuildReply;
  try {
    reply = { id: req.id, result: toTransfer(buildParts(req.files, req.dirs, req.options)) };
  } catch (e) {
    reply = { id: req.id, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply);
});
