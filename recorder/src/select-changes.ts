/**
 * rrweb sends an input event only when the element's (masked) text differs from the last
 * one it sent for that element. Every select value is masked as the same `********`, so a
 * select changed twice was recorded once. This notices the changes rrweb left out: it
 * watches `change` events of select elements (after rrweb's own listener, which has already
 * sent what it sends) and reports a change when the select's value differs from the one it
 * saw last and rrweb sent nothing for it since. The value itself never leaves this module.
 */

interface Seen {
  value: string;
  /** rrweb's input events for the element when the value was seen. */
  recorded: number;
}

export class SelectChanges {
  private readonly seen = new WeakMap<object, Seen>();
  private readonly recorded = new Map<number, number>();

  /** rrweb sent an input event for the node `id`. */
  noteRecorded(id: number): void {
    this.recorded.set(id, (this.recorded.get(id) ?? 0) + 1);
  }

  /**
   * A `change` event of a select (`element`, its value, its rrweb id): true when an input
   * event must be added for it. The first change seen is rrweb's own; a node that rrweb
   * never sent an input for (blocked, not recorded) gets none.
   */
  changed(element: object, value: string, id: number): boolean {
    const recorded = this.recorded.get(id) ?? 0;
    const before = this.seen.get(element);
    this.seen.set(element, { value, recorded });
    if (before === undefined || id < 0 || recorded === 0) {
      return false;
    }
    return before.value !== value && before.recorded === recorded;
  }
}
