/** How long after a line is expanded the renders bring it whole into view. */
const REVEAL_MS = 500;

/**
 * Keeps what the reader looks at in sight while the list changes under it:
 *
 * - An expanded line in a busy stream stays at the same place on screen. Pausing alone did not hold
 *   it: the virtual list keeps its end in view when a row's height changes while it is at the end,
 *   and the expanded row grows in the same frame as new rows are counted, so the view jumped by their
 *   height and the line scrolled away.
 * - The pill sits over the bottom of the list, which then gets room below its last row (the
 *   `pill-space` class). When the pill appears at the end of the list, the view moves down by that
 *   room, so the last row stays in sight.
 * - A view at the end of the list stays there when the viewport gets shorter. A browser keeps
 *   `scrollTop` when a scroll container shrinks, which hides its bottom rows: on a phone the
 *   dashboard's header wraps to another line when its sources load, the console loses 48 px, and
 *   the last row slid under the pill (the flaky phone-layout test).
 *
 * It also tells the reader's scrolls (which pause and resume following) from these moves and the
 * list's own, which must not.
 */
export class ViewAnchors {
  /** Until when a scroll is the reader's (they just used the wheel, a touch, the pointer or a key). */
  #userUntil = 0;
  #seq: number | undefined;
  #top = 0;
  #pillSpace = false;
  #revealUntil = 0;
  #resizes: ResizeObserver | undefined;
  #watched: HTMLElement | undefined;
  /** The watched viewport's clientHeight when last seen. */
  #height = 0;

  /**
   * A line was expanded: hold it where it is, and show it whole. The list learns the expanded row's
   * height a render or two later (its ResizeObserver), and only then can it scroll far enough, so the
   * renders of the next half second bring it into view again.
   */
  expand(viewport: HTMLElement | null, seq: number): void {
    this.#pin(viewport, seq);
    this.#revealUntil = performance.now() + REVEAL_MS;
  }

  /** The reader moves the view, or it follows again: the line is theirs to move. */
  release(): void {
    this.#seq = undefined;
  }

  /** The reader is about to scroll: a scroll soon after is theirs, and the expanded line is theirs to move. */
  userScrolls(): void {
    this.#userUntil = performance.now() + 400;
    this.release();
  }

  /**
   * What a scroll of the viewport asks for: the reader's scroll away from the end pauses, back to the
   * end resumes. Only the reader's: the layout is read only then, because reading it on every scroll
   * forced a layout in the middle of each frame.
   */
  scrolled(viewport: HTMLElement, following: boolean): 'pause' | 'resume' | undefined {
    if (performance.now() >= this.#userUntil) return undefined;
    const atEnd = viewport.scrollHeight - viewport.scrollTop - viewport.clientHeight <= 4;
    if (following && !atEnd) return 'pause';
    return !following && atEnd ? 'resume' : undefined;
  }

  /** After a render: keeps the last row clear of the pill and the expanded line in place. */
  afterRender(viewport: HTMLElement | null, following: boolean): void {
    if (viewport === null) return;
    this.#watch(viewport);
    let moved = false;
    const space = viewport.classList.contains('pill-space');
    if (space && !this.#pillSpace) {
      const room = Number.parseFloat(getComputedStyle(viewport).paddingBottom);
      if (viewport.scrollHeight - viewport.scrollTop - viewport.clientHeight <= room + 4) {
        viewport.scrollTop += room;
        moved = true;
      }
    }
    this.#pillSpace = space;
    if (following) this.#seq = undefined;
    const row = this.#seq === undefined ? null : viewport.querySelector(`.row[data-seq="${this.#seq}"]`);
    if (row !== null && performance.now() < this.#revealUntil) {
      const before = viewport.scrollTop;
      row.scrollIntoView({ block: 'nearest' });
      moved ||= viewport.scrollTop !== before;
      this.#pin(viewport, this.#seq as number);
    } else if (row !== null) {
      const drift = row.getBoundingClientRect().top - viewport.getBoundingClientRect().top - this.#top;
      if (Math.abs(drift) >= 1) {
        viewport.scrollTop += drift;
        moved = true;
      }
    }
    // A move of the anchors' is not the reader's: it must not count as reaching the end (which resumes following).
    if (moved) this.#userUntil = 0;
  }

  /** Stops watching the viewport's size (the element left the page). */
  disconnect(): void {
    this.#resizes?.disconnect();
    this.#resizes = undefined;
    this.#watched = undefined;
  }

  #watch(viewport: HTMLElement): void {
    if (this.#watched === viewport) return;
    this.disconnect();
    this.#watched = viewport;
    this.#height = viewport.clientHeight;
    // Called after layout and before paint: the end is back in place before the shorter view shows.
    this.#resizes = new ResizeObserver(() => this.#resized(viewport));
    this.#resizes.observe(viewport);
  }

  #resized(viewport: HTMLElement): void {
    const height = viewport.clientHeight;
    const shrink = this.#height - height;
    this.#height = height;
    // An expanded line held in place wins over the end: moving to the end would scroll it away.
    if (shrink <= 0 || this.#seq !== undefined) return;
    const fromEnd = viewport.scrollHeight - viewport.scrollTop - height;
    if (fromEnd - shrink > 4) return;
    viewport.scrollTop += shrink;
    // Not the reader's scroll: it must not pause or resume following.
    this.#userUntil = 0;
  }

  #pin(viewport: HTMLElement | null, seq: number): void {
    const row = viewport?.querySelector(`.row[data-seq="${seq}"]`);
    this.#seq = viewport && row ? seq : undefined;
    if (viewport && row) this.#top = row.getBoundingClientRect().top - viewport.getBoundingClientRect().top;
  }
}
