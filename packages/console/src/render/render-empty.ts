import { html, nothing, type TemplateResult } from 'lit';
import { copyText } from '../actions/copy-text.js';
import type { ConsoleSession } from '../state/console-session.js';
import { showsAnyLine } from '../state/history-search.js';
import type { LogModel } from '../state/log-model.js';

/** The server's base URL as a person would type it: absolute, without a trailing slash. */
export function serverUrl(src: string): string {
  try {
    return new URL(src, location.href).href.replace(/\/+$/, '');
  } catch {
    return src;
  }
}

const count = (n: number): string => n.toLocaleString('en-US');

function command(text: string): TemplateResult {
  return html`<div class="cmd"><code>${text}</code><button type="button" part="button" aria-label="Copy command" @click=${() => void copyText(text)}>Copy</button></div>`;
}

/** A fresh server: how to send it a first line, with this server's URL. */
function renderFirstSteps(url: string, stream: string | undefined, withToken: boolean): TemplateResult {
  const auth = withToken ? " -H 'authorization: Bearer <ingest-token>'" : '';
  const flag = `${withToken ? ' --token <ingest-token>' : ''}${stream === undefined ? '' : ` --stream ${stream}`}`;
  const path = stream === undefined ? '/api/logs' : `/api/streams/${stream}/logs`;
  return html`<div class="empty" part="empty-state" data-empty="fresh">
    <strong>No lines yet.</strong> ${stream === undefined ? 'This server has not received a line.' : `The stream ${stream} has no line yet.`} Send one:
    ${command(`curl -X POST '${url}${path}' -H 'content-type: text/plain'${auth} --data-binary 'hello from curl'`)}
    or run a program and ship its output:
    ${command(`livelog run --server ${url}${flag} -- npm start`)}
    ${command(`tail -f app.log | livelog pipe --server ${url}${flag}`)}
  </div>`;
}

/** Why the prompt asks: no token yet, one the server does not know, or one that may not read this stream. */
function tokenPromptReason(model: LogModel, session: ConsoleSession): string {
  if (model.tokenForbidden === 'LIVELOG_ERR_AUTH_STREAM_FORBIDDEN')
    return `The token may not read the stream ${session.stream ?? 'default'}.`;
  if (model.tokenForbidden !== undefined) return 'The token lacks the read scope.';
  return session.hasToken ? 'The token was refused.' : 'This server needs a token.';
}

function renderTokenPrompt(model: LogModel, session: ConsoleSession): TemplateResult {
  const submit = (event: SubmitEvent): void => {
    event.preventDefault();
    const input = (event.currentTarget as HTMLFormElement).querySelector('input');
    const token = input?.value.trim() ?? '';
    // Read and cleared at once: the token lives in sessionStorage, not in the page's DOM.
    if (input) input.value = '';
    if (token !== '') session.useToken(token);
  };
  return html`<form class="empty" part="empty-state token-prompt" data-empty="token" @submit=${submit}>
    <strong>${tokenPromptReason(model, session)}</strong>
    Enter a token with the <code>read</code> scope (kept in this tab only):
    <div class="cmd"><input type="password" autocomplete="off" aria-label="Token" placeholder="Token" /><button type="submit" part="button">Connect</button></div>
  </form>`;
}

/**
 * The panel shown in the list when it shows no line: a token prompt after a 401 (or a 403 another
 * token may cure), an invalid regex,
 * "no loaded line matches" with an offer to search the whole history, a filter nothing in the
 * retained log matches, or, on a fresh server, how to send the first line. Nothing while connecting.
 */
export function renderEmpty(model: LogModel, session: ConsoleSession): TemplateResult | typeof nothing {
  if (model.needsToken) return renderTokenPrompt(model, session);
  if (showsAnyLine(model.buffer)) return nothing;
  const clear = html`<button type="button" part="button" @click=${() => session.clearFilter()}>Clear the filter</button>`;
  if (session.filterError !== undefined) {
    const [kind, ...why] = session.filterError.split(': ');
    return html`<div class="empty" part="empty-state" data-empty=${session.filter.regex ? 'invalid-regex' : 'invalid-query'}>
      <strong>${kind}:</strong> ${why.join(': ')}. No line matches until it is fixed. ${clear}
    </div>`;
  }
  const reached = session.historySearch.reached;
  if (reached !== undefined) {
    return html`<div class="empty" part="empty-state" data-empty="searching">
      Searching older lines… (back to line ${count(reached)})
      <button type="button" part="button" @click=${() => session.cancelSearch()}>Stop</button>
    </div>`;
  }
  if (model.buffer.size > 0) {
    return html`<div class="empty" part="empty-state" data-empty=${model.olderAvailable ? 'no-loaded-match' : 'no-match'}>${
      model.olderAvailable
        ? html`<strong>No loaded line matches</strong> (${count(model.buffer.size)} loaded).
            <button type="button" part="button" @click=${() => session.searchHistory()}>Search the whole history</button> ${clear}`
        : html`<strong>No line in the retained log matches the filter.</strong> New lines that match will show here. ${clear}`
    }</div>`;
  }
  if (model.statusLine.connection.state !== 'live' || model.loadingOlder) return nothing;
  if (Object.keys(model.serverFilter).length > 0) {
    return html`<div class="empty" part="empty-state" data-empty="no-match">
      <strong>No line in the retained log matches the filter.</strong> New lines that match will show here. ${clear}
    </div>`;
  }
  return model.newest === 0 ? renderFirstSteps(serverUrl(session.url), session.stream, session.hasToken) : nothing;
}
