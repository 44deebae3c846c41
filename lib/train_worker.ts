/**
 * The training thread: a worker_threads Worker that train() starts for each call. It runs the
 * loop (train_loop.ts), reporting epochs and progress by message; the main thread only relays
 * them, so its event loop stays free. Abort is a flag in shared memory, read once per iteration.
 */
import { parentPort, workerData } from 'worker_threads';
import { NnError } from './errors';
import { native } from './native';
import { Job, runLoop } from './train_loop';

const { job, abort } = workerData as { job: Job; abort: Int32Array };
const port = parentPort as NonNullable<typeof parentPort>;

(async () => {
  // a background thread: the host's event loop, when it wakes, runs before training work
  native.lowerThreadPriority();
  const outcome = await runLoop(job, {
    shouldAbort: () => Atomics.load(abort, 0) !== 0,
    onEpoch: (info) => port.postMessage({ type: 'epoch', info }),
    onProgress: (info) => port.postMessage({ type: 'progress', info }),
  });
  port.postMessage({ type: 'done', outcome }, [outcome.params.buffer as ArrayBuffer, outcome.bestParams.buffer as ArrayBuffer]);
})().catch((e: unknown) => {
  const err = e as Error;
  // only nnkit's own errors keep a code; anything else arrives as a plain Error with its message
  port.postMessage({ type: 'error', code: e instanceof NnError ? e.code : null, message: err.message });
});
