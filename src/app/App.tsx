import { Studio } from '../ui/Studio.tsx';

/** The composition root renders the studio; wiring (store, workers, persistence) is in main.tsx. */
export function App() {
  return <Studio />;
}
