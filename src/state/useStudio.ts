/**
 * React binding of the store. The app creates the store (with persistence) and installs it;
 * views call `useStudio(selector)` and `studio()` for actions. Selectors must return stable
 * values (primitives or store-owned objects); use `useShallow` for picks of several fields.
 */
import { useStore } from 'zustand';
import type { StudioState, StudioStore } from './store.ts';

let bound: StudioStore | null = null;

export function installStore(store: StudioStore): void {
  bound = store;
}

export function studioStore(): StudioStore {
  if (!bound) throw new Error('studio store not installed (app/main.tsx installs it)');
  return bound;
}

/** Current state, for event handlers (no subscription). */
export const studio = (): StudioState => studioStore().getState();

export function useStudio<T>(selector: (s: StudioState) => T): T {
  return useStore(studioStore(), selector);
}

export { useShallow } from 'zustand/react/shallow';
