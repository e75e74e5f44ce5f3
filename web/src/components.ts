/** Small pieces shared by the list and the session page. */
import { ApiError } from './api';
import { h } from './dom';
import { formatScore } from './format';

export function scoreBadge(score: number, title?: string): HTMLElement {
  const rounded = Math.round(score);
  const level = rounded >= 60 ? 'high' : rounded >= 30 ? 'mid' : 'low';
  return h('span', { class: `score score-${level}`, text: formatScore(score), title, testid: 'score' });
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
