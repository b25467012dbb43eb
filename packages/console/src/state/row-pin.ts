/**
 * Keeps one row at the same place on screen while the list changes around it: an expanded line in a
 * busy stream. Pausing alone did not hold it: the virtual list keeps its end in view when a row's
 * height changes while it is at the end, and the expanded row grows in the same frame as new rows are
 * counted, so the view jumped by their height and the line scrolled away.
 */
export class RowPin {
  #seq: number | undefined;
  #top = 0;

  /** Holds the row of `seq` where it is now. */
  pin(viewport: HTMLElement | null, seq: number): void {
    const row = viewport?.querySelector(`.row[data-seq="${seq}"]`);
    if (!viewport || !row) {
      this.#seq = undefined;
      return;
    }
    this.#seq = seq;
    this.#top = row.getBoundingClientRect().top - viewport.getBoundingClientRect().top;
  }

  /** The reader moves the view (or it follows again): the row is theirs to move. */
  release(): void {
    this.#seq = undefined;
  }

  /** After a render: moves the view back by however far the pinned row drifted. */
  hold(viewport: HTMLElement | null): void {
    if (this.#seq === undefined || !viewport) return;
    const row = viewport.querySelector(`.row[data-seq="${this.#seq}"]`);
    if (!row) return;
    const drift = row.getBoundingClientRect().top - viewport.getBoundingClientRect().top - this.#top;
    if (Math.abs(drift) >= 1) viewport.scrollTop += drift;
  }
}
