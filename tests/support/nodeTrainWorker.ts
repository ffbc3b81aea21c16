// Node worker-thread twin of train.worker.ts, for tests: same API, Node's message port.
import { parentPort } from 'node:worker_threads';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { createTrainApi } from '../../src/workers/trainApi.ts';

expose(createTrainApi(), nodeEndpoint(parentPort!));
