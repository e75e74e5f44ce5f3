/** The user hover card (`GET /v1/users/{user_id}`) and links to a user's sessions. */
import { getUser, type UserCard } from './api';
import { h } from './dom';
import { formatDateTime, plural } from './format';
import { attachHoverCard, cached } from './popover';

const users = new Map<string, Promise<UserCard>>();

/** The list filtered to one user's sessions. */
export function userSessionsHref(userId: string): string {
  return `/?${new URLSearchParams({ user: userId })}`;
}

function traitText(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

function renderCard(user: UserCard): HTMLElement {
  const traits = Object.entries(user.traits ?? {}).slice(0, 8);
  return h('div', { class: 'user-card', dataset: { userId: user.user_id } }, [
    h('div', { class: 'user-card-id', text: user.user_id }),
    h('dl', { class: 'user-card-facts' }, [
      h('dt', { text: 'Sessions' }),
      h('dd', { testid: 'user-card-sessions', text: plural(user.session_count, 'session') }),
      h('dt', { text: 'First seen' }),
      h('dd', { testid: 'user-card-first-seen', text: `${formatDateTime(user.first_seen)} UTC` }),
      h('dt', { text: 'Last seen' }),
      h('dd', { testid: 'user-card-last-seen', text: `${formatDateTime(user.last_seen)} UTC` }),
    ]),
    traits.length > 0
      ? h(
          'dl',
          { class: 'user-card-traits', testid: 'user-card-traits' },
          traits.flatMap(([key, value]) => [h('dt', { text: key }), h('dd', { text: traitText(value) })]),
        )
      : null,
    h('a', {
      class: 'user-card-link',
      testid: 'user-card-link',
      text: 'All sessions of this user →',
      attrs: { href: userSessionsHref(user.user_id) },
    }),
  ]);
}

/** Shows the user's card when `anchor` is hovered or focused. */
export function attachUserCard(anchor: HTMLElement, userId: string): void {
  attachHoverCard(anchor, {
    testid: 'user-card',
    label: `User ${userId}`,
    load: async () => renderCard(await cached(users, userId, () => getUser(userId))),
  });
}
