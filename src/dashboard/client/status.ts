// Loading and error states of a panel: aria-busy on the panel, a polite status line, a retry button.
import { h } from './dom.js';

export type PanelState = { kind: 'loading' } | { kind: 'ready' } | { kind: 'error'; message: string; retry?: () => void };

export function setPanelState(panelId: string, state: PanelState): void {
  const panel = document.getElementById(panelId);
  const line = document.querySelector<HTMLElement>(`[data-status-for="${panelId}"]`);
  if (!panel || !line) return;
  panel.setAttribute('aria-busy', String(state.kind === 'loading'));
  panel.classList.toggle('is-loading', state.kind === 'loading');
  panel.classList.toggle('has-error', state.kind === 'error');
  line.className = `panel-status${state.kind === 'error' ? ' is-error' : ''}`;
  if (state.kind === 'loading') line.replaceChildren(h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading…');
  else if (state.kind === 'ready') line.replaceChildren();
  else {
    const message = h('span', null, state.message);
    const retry = state.retry;
    if (!retry) return line.replaceChildren(message);
    const button = h('button', { type: 'button', class: 'button button-quiet button-small' }, 'Try again');
    button.addEventListener('click', () => retry());
    line.replaceChildren(message, button);
  }
}
