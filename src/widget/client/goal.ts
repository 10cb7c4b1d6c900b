// The goal meter: "€3,120 of €5,000", a progress bar people and screen readers can read, and the publisher's
// thanks once the target is reached.
import type { WidgetConfig, WidgetGoal } from '../widget-config.js';
import { element, fillTemplate } from './dom.js';
import { formatMinor } from './money.js';

/** The goal's figure in its unit: money for an amount goal, a plain number for members and supporters. */
function goalFormatter(config: WidgetConfig, goal: WidgetGoal): (value: number) => string {
  const currency = goal.currency && config.currencies[goal.currency];
  if (goal.currency && currency) return (minor) => formatMinor(minor, goal.currency!, currency.exponent, config.locale);
  const numbers = new Intl.NumberFormat(config.locale);
  return (count) => numbers.format(count);
}

export function renderGoal(config: WidgetConfig, goal: WidgetGoal): HTMLElement {
  const format = goalFormatter(config, goal);
  const progress = fillTemplate(config.strings[`goal_progress_${goal.kind}`], {
    current: format(goal.current),
    target: format(goal.target),
  });
  const fill = element('span');
  fill.style.width = Math.min(100, (goal.current / goal.target) * 100) + '%';
  return element(
    'div',
    { class: 'g' + (goal.reached ? ' gr' : '') },
    element('p', { id: 'gl' }, goal.reached ? goal.reached_text : goal.label),
    element(
      'div',
      {
        role: 'progressbar',
        'aria-labelledby': 'gl',
        'aria-valuemin': '0',
        'aria-valuemax': '' + goal.target,
        'aria-valuenow': '' + goal.current,
        'aria-valuetext': progress,
      },
      fill,
    ),
    element('p', { 'aria-hidden': 'true' }, progress),
  );
}
