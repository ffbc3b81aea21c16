/**
 * Whether a demo load that has just finished may open its project (app/demoProject.ts asks at
 * the very end, after seconds of fetching and distilling during which the studio stays usable).
 *
 * - A newer load of the demo superseded it: do nothing (the newer one commits and reports).
 * - The user opened, built or restored another project meanwhile: keep it, and say plainly that
 *   the demo was not opened over it and how to open it.
 * - Otherwise open it, keeping the Project view choices made while it loaded (the teacher
 *   source, a folder's import preview), which opening a project would otherwise reset.
 */
import type { StudioState } from './store.ts';
import { initialUi, type UiState } from './actions.ts';

/** The open project's identity: its provenance root (id and time); null when none is open. */
export function projectToken(s: Pick<StudioState, 'session'>): string | null {
  const h = s.session?.history;
  if (!h) return null;
  return `${h.rootId}@${h.nodes[h.rootId]?.time ?? ''}`;
}

export type DemoLoadOutcome =
  | { kind: 'superseded' }
  | { kind: 'keep'; message: string }
  | { kind: 'commit'; keepUi: Partial<UiState> };

/** UI choices a user can make in the Project view while no project is open yet. */
const KEPT: (keyof UiState)[] = ['teacherChoice', 'importPreview'];

export function demoLoadOutcome(s: Pick<StudioState, 'session' | 'dataset' | 'ui'>, latest: boolean, openAtStart: string | null): DemoLoadOutcome {
  if (!latest) return { kind: 'superseded' };
  if (projectToken(s) !== openAtStart) {
    const name = s.dataset?.name ?? 'another project';
    return {
      kind: 'keep',
      message: `The demo project finished loading after you opened “${name}”, so “${name}” stays open. To open the demo, use the “Demo project” button below.`,
    };
  }
  const base = initialUi();
  const keepUi: Partial<UiState> = {};
  for (const k of KEPT) if (s.ui[k] !== base[k]) (keepUi as Record<string, unknown>)[k] = s.ui[k];
  return { kind: 'commit', keepUi };
}
