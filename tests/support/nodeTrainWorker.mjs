// Node worker threads cannot load TypeScript by themselves: register tsx, then load the twin.
import { register } from 'tsx/esm/api';

register();
await import('./nodeTrainWorker.ts');
