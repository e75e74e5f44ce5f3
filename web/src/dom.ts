/** A small element builder, so views read as a tree instead of a list of statements. */

type Child = Node | string | null | undefined | false;

export interface Props {
  class?: string;
  id?: string;
  testid?: string;
  title?: string;
  text?: string;
  attrs?: Record<string, string>;
  dataset?: Record<string, string>;
  on?: { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  children: Child[] = [],
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.class) element.className = props.class;
  if (props.id) element.id = props.id;
  if (props.testid) element.dataset.testid = props.testid;
  if (props.title) element.title = props.title;
  if (props.text !== undefined) element.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    element.setAttribute(name, value);
  }
  for (const [key, value] of Object.entries(props.dataset ?? {})) {
    element.dataset[key] = value;
  }
  for (const [type, listener] of Object.entries(props.on ?? {})) {
    element.addEventListener(type, listener as EventListener);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

/** A message block used for loading, empty and error states. */
export function notice(kind: 'loading' | 'empty' | 'error', message: string, testid?: string): HTMLElement {
  return h('div', {
    class: `notice notice-${kind}`,
    testid: testid ?? kind,
    attrs: kind === 'error' ? { role: 'alert' } : { role: 'status' },
    text: message,
  });
}
