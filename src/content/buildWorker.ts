/**
 * The content build's worker thread (see builder.ts): parse, validate, train and self-test off the event loop,
 * and send the result back as data.
 */
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { buildParts } from './build';
import { toTransfer, type BuildReply, type BuildRequest, type TransferredBuild } from './transfer';

// The lowest CPU priority for this thread only (Linux: setpriority on the calling thread): where cores are few,
// the requests on the main thread go first and the build takes what is left.
try {
  setPriority(19);
} catch {
  /* not permitted here: the build shares the CPU evenly */
}

const send = (m: BuildReply) => parentPort!.postMessage(m);

parentPort?.on('message', (req: BuildRequest) => {
  let result: TransferredBuild;
  try {
    result = toTransfer(buildParts(req.files, req.dirs, req.options));
  } catch (e) {
    return send({ id: req.id, error: e instanceof Error ? e.message : String(e) });
  }
  // One message per language model, then the rest: the main thread reads each in a task of its own.
  const models = result.parts?.matcher.models ?? [];
  for (const model of models) send({ id: req.id, model });
  send({
    id: req.id,
    result: result.parts ? { ...result, parts: { ...result.parts, matcher: { models: [] } } } : result,
  });
});
