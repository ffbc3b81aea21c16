/** Train worker entry: exposes distill and tune (see trainApi.ts) over Comlink. */
import { expose } from 'comlink';
import { createTrainApi } from './trainApi.ts';

expose(createTrainApi());
