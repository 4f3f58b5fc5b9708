// Module Web Worker of clusterImages(): runs the pipeline off the main thread.
// Messages in:  {type: 'run', files, options}   (options: structured-cloneable; URLs absolute)
// Messages out: {type: 'progress', progress: {stage, done, total}}
//               {type: 'result', result} | {type: 'error', name, message, errors?}
// Cancelling: the page terminates the worker (clusterImages does so when its AbortSignal fires).
import { runPipeline } from './photo_session.js';

self.onmessage = async (/** @type {MessageEvent} */ ev) => {
  const { type, files, options } = ev.data ?? {};
  if (type !== 'run') return;
  try {
    const result = await runPipeline(files, {
      ...options,
      onProgress: (/** @type {{stage: string, done: number, total: number}} */ progress) => self.postMessage({ type: 'progress', progress }),
    });
    self.postMessage({ type: 'result', result });
  } catch (e) {
    const err = /** @type {any} */ (e);
    self.postMessage({ type: 'error', name: err?.name ?? 'Error', message: err?.message ?? String(e), errors: err?.errors });
  }
};
