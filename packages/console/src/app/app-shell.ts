import { listStreams, type SourceSummary } from '@livelog/client';
import { isStreamName } from '@livelog/protocol';
import { css, html, LitElement, nothing } from 'lit';
import type { LivelogSearchDetail, LivelogStatusDetail } from '../console-events.js';
import type { LivelogConsole } from '../livelog-console.js';
import '../livelog-console.js';
import { enteredToken } from '../state/entered-token.js';
import { headerStateText } from './header-state.js';
import { streamPageUrl } from './stream-search.js';
import './stream-picker.js';

const THEME_KEY = 'livelog-theme';

/**
 * The dashboard `livelog serve` shows at `/`: a header (connection state, line rate, sources) over
 * one `<livelog-console>`. Everything is relative to the page, so it works under any base path. The
 * page's query sets the console up: `?token=`, `?tail=`, `?max-lines=`, `?level=`, `?source=a,b`,
 * and `?stream=NAME`: one URL per stream. The stream picker switches streams by changing that URL
 * (history entries, so Back returns to the stream before). `?q=`, `?since=`, `?until=` hold the search
 * and time range, kept current as they change (replacing the entry), so a search can be shared.
 */
export class LivelogApp extends LitElement {
  static override styles = css`
    :host {
      display: flex;
      flex-direction: column;
      height: 100vh;
      height: 100dvh;
      font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    }
    header {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 4px 16px;
      padding: 6px 12px;
      background: var(--ll-header-bg, #0d1117);
      color: var(--ll-header-fg, #e6edf3);
      font-size: 13px;
    }
    h1 {
      margin: 0;
      font-size: 15px;
      letter-spacing: 0.02em;
    }
    .state::before {
      content: '';
      display: inline-block;
      width: 8px;
      height: 8px;
      margin-right: 6px;
      border-radius: 50%;
      background: #9198a1;
    }
    .state[data-state='live']::before {
      background: #3fb950;
    }
    .state[data-state='reconnecting']::before,
    .state[data-state='connecting']::before {
      background: #d29922;
    }
    .state[data-state='failed']::before,
    .state[data-failed]::before {
      background: #f85149;
    }
    nav {
      display: flex;
      flex-wrap: wrap;
      gap: 4px;
      margin-left: auto;
    }
    nav button {
      font: inherit;
      font-size: 12px;
      color: inherit;
      background: transparent;
      border: 1px solid #30363d;
      border-radius: 999px;
      padding: 2px 10px;
      cursor: pointer;
    }
    nav button[aria-pressed='true'] {
      /* 4.5:1 with the header's text (#1f6feb is 3.9:1). */
      background: #1c64d4;
      border-color: #1c64d4;
    }
    nav button:focus-visible {
      outline: 2px solid #4493f8;
    }
    main {
      display: flex;
      flex-direction: column;
      flex: 1 1 auto;
      min-height: 0;
    }
    livelog-console {
      flex: 1 1 auto;
      min-height: 0;
    }
    .bad-stream {
      margin: 24px;
    }
  `;

  #state: LivelogStatusDetail | undefined;
  #rate = 0;
  #sources: SourceSummary[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  #stream = streamOfPage();
  #token = tokenOfPage();
  readonly #onPopState = (): void => {
    this.#showStream(streamOfPage());
  };

  override connectedCallback(): void {
    super.connectedCallback();
    this.#timer = setInterval(() => this.#poll(), 1000);
    addEventListener('popstate', this.#onPopState);
    this.#title();
    void this.#landOnReadableStream();
  }

  /**
   * A page opened without `?stream=` shows `default`. A token scoped to other streams (`read@ci-*`)
   * may not read it, and the page would open on a 403: open the stream it may read that was active
   * last instead, as if the URL had named it (the URL is replaced, not pushed). Only with a token:
   * without one every stream is readable or none is. Run for the page's token (`?token=`, or one
   * entered in this tab before) and again for a token entered in the console's prompt.
   */
  async #landOnReadableStream(): Promise<void> {
    const token = this.#token ?? '';
    if (token === '' || new URLSearchParams(location.search).has('stream')) return;
    try {
      const named = await listStreams('.', { prefix: 'default', limit: 10 }, { token });
      if (named.streams.some((stream) => stream.name === 'default')) return;
      const [recent] = (await listStreams('.', { order: 'recent', limit: 1 }, { token })).streams;
      if (recent === undefined || this.#stream !== undefined || new URLSearchParams(location.search).has('stream')) return;
      history.replaceState(history.state, '', streamPageUrl(location.href, recent.name));
      this.#showStream(recent.name);
    } catch {
      // The console shows why the stream cannot be read (a bad token, a server away): nothing to add.
    }
  }

  /** A token typed into the console's prompt: the picker lists with it, and the page lands as for `?token=`. */
  #tokenEntered(): void {
    // The typed one, even over a `?token=` the server refused: it is the token the console now sends.
    this.#token = enteredToken('.')?.get() ?? tokenOfPage();
    this.requestUpdate();
    void this.#landOnReadableStream();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.#timer);
    removeEventListener('popstate', this.#onPopState);
  }

  /** The stream shown (undefined: `default`). */
  get stream(): string | undefined {
    return this.#stream;
  }

  /** Shows another stream, with its own URL (a new history entry). */
  selectStream(name: string): void {
    const stream = name === 'default' ? undefined : name;
    history.pushState(null, '', streamPageUrl(location.href, stream));
    this.#showStream(stream);
  }

  #showStream(stream: string | undefined): void {
    if (stream === this.#stream) return;
    this.#stream = stream;
    this.#state = undefined;
    this.#sources = [];
    this.#title();
    this.requestUpdate();
  }

  #title(): void {
    document.title = this.#stream === undefined ? 'livelog' : `${this.#stream} · livelog`;
  }

  get console(): LivelogConsole | null {
    return this.renderRoot.querySelector('livelog-console');
  }

  #poll(): void {
    const element = this.console;
    if (element === null) return;
    const stats = element.getStats();
    this.#rate = stats.rate;
    this.#sources = stats.sources.sort((a, b) => a.name.localeCompare(b.name));
    this.requestUpdate();
  }

  #toggleSource(name: string): void {
    const element = this.console;
    if (element === null) return;
    const current = element.filter.sources;
    element.setFilter({ sources: current.includes(name) ? current.filter((s) => s !== name) : [...current, name] });
    this.requestUpdate();
  }

  protected override render(): unknown {
    const params = new URLSearchParams(location.search);
    // The console falls back to a token entered in its prompt by itself; the picker is told.
    const token = params.get('token') ?? undefined;
    const number = (name: string): number | undefined => {
      const value = Number(params.get(name) ?? Number.NaN);
      return Number.isFinite(value) ? value : undefined;
    };
    const saved = localStorage.getItem(THEME_KEY);
    const theme = saved === 'light' || saved === 'dark' ? saved : 'auto';
    // A name that is not one opens no stream: nothing is connecting, and the pill says so.
    const badStream = this.#stream !== undefined && !isStreamName(this.#stream);
    const state: LivelogStatusDetail | undefined = badStream ? { state: 'failed', attempt: 0, lag: 0, mode: 'live' } : this.#state;
    const selected = this.console?.filter.sources ?? [];
    return html`<header part="header">
        <h1>livelog</h1>
        <livelog-stream-picker .current=${this.#stream} .token=${this.#token}
          @livelog-stream-change=${(event: CustomEvent<{ name: string }>) => this.selectStream(event.detail.name)}></livelog-stream-picker>
        <span class="state" data-state=${state?.state ?? 'connecting'} ?data-failed=${state?.end?.exitCode !== undefined && state.end.exitCode !== 0}>${headerStateText(state)}${
          state?.lag ? ` · catching up ${state.lag.toLocaleString('en-US')}` : ''
        }</span>
        <span aria-label="Line rate">${this.#rate.toLocaleString('en-US', { maximumFractionDigits: 1 })} lines/s</span>
        <nav aria-label="Sources">
          ${
            this.#sources.length === 0
              ? nothing
              : this.#sources.map(
                  (source) => html`<button type="button" aria-pressed=${selected.includes(source.name) ? 'true' : 'false'}
              title="${source.entries > 0 ? `${source.entries.toLocaleString('en-US')} lines; ` : ''}click to filter"
              @click=${() => this.#toggleSource(source.name)}>${source.name}</button>`,
                )
          }
        </nav>
      </header>
      <main>
      ${
        badStream
          ? html`<p class="bad-stream" role="alert">${JSON.stringify(this.#stream)} is not a stream name: lowercase letters, digits, ".", "_" and "-", starting with a letter or digit. Pick a stream above.</p>`
          : html`<livelog-console
        global-shortcuts
        .token=${token}
        .stream=${this.#stream}
        .tail=${number('tail') ?? 1000}
        .maxLines=${number('max-lines') ?? 200_000}
        level=${params.get('level') ?? ''}
        source=${params.get('source') ?? ''}
        query=${params.get('q') ?? ''}
        since=${params.get('since') ?? ''}
        until=${params.get('until') ?? ''}
        theme=${theme}
        @livelog-status=${(event: CustomEvent<LivelogStatusDetail>) => {
          this.#state = event.detail;
          this.requestUpdate();
        }}
        @livelog-search=${(event: CustomEvent<LivelogSearchDetail>) => history.replaceState(history.state, '', searchPageUrl(location.href, event.detail))}
        @livelog-token=${() => this.#tokenEntered()}
        @livelog-theme=${(event: CustomEvent<{ theme: string }>) => localStorage.setItem(THEME_KEY, event.detail.theme)}
      ></livelog-console>`
      }
      </main>`;
  }
}

if (!customElements.get('livelog-app')) customElements.define('livelog-app', LivelogApp);

/** The stream the page's URL names (`?stream=NAME`); undefined for none or `default`. */
function streamOfPage(): string | undefined {
  const name = new URLSearchParams(location.search).get('stream') ?? '';
  return name === '' || name === 'default' ? undefined : name;
}

/** The token the page reads with: `?token=`, else one entered in the console's prompt in this tab. */
function tokenOfPage(): string | undefined {
  return new URLSearchParams(location.search).get('token') || enteredToken('.')?.get() || undefined;
}

/** `page` with the search's query and range in its query string (empty ones left out). */
export function searchPageUrl(page: string, search: LivelogSearchDetail): string {
  const url = new URL(page);
  for (const [name, value] of [
    ['q', search.query],
    ['since', search.since],
    ['until', search.until],
  ] as const) {
    if (value) url.searchParams.set(name, value);
    else url.searchParams.delete(name);
  }
  return url.toString();
}
