/** Pages with forms: the confirmation step of every action, and the token login. */
import { html, type SafeHtml } from '../html.js';
import { csrfField, page, type PageContext } from './layout.js';

export interface ConfirmView {
  title: string;
  /** What will happen, in a sentence. */
  question: string;
  /** Where the form posts, inside the dashboard (e.g. `/jobs/5/retry`). */
  action: string;
  button: string;
  /** Where "Back" goes. */
  back: string;
  danger?: boolean;
}

/** A checkbox the user must tick, so one stray click never changes anything (no script needed). */
export function confirmPage(ctx: PageContext, view: ConfirmView): SafeHtml {
  const body = html`<h1>${view.title}</h1>
    <form class="card" method="post" action="${ctx.base}${view.action}" id="confirm-form">
      ${csrfField(ctx)}
      <p>${view.question}</p>
      <p>
        <label><input type="checkbox" name="confirm" value="yes" required /> Yes, I am sure</label>
      </p>
      <div class="actions">
        <button type="submit" class="${view.danger ? 'danger' : 'primary'}">${view.button}</button>
        <a class="button" href="${ctx.base}${view.back}">Back</a>
      </div>
    </form>`;
  return page(ctx, { title: view.title, body, live: false });
}

export function loginPage(ctx: PageContext, failed: boolean): SafeHtml {
  const body = html`<h1>Log in</h1>
    ${failed && html`<div class="flash error">That token is not right.</div>`}
    <form class="card" method="post" action="${ctx.base}/login">
      ${csrfField(ctx)}
      <p>
        This dashboard is protected by a token (<code>--token</code> or
        <code>HOLDFAST_DASHBOARD_TOKEN</code>).
      </p>
      <p>
        <input
          type="password"
          name="token"
          autocomplete="current-password"
          aria-label="Token"
          required
          autofocus
        />
        <button type="submit" class="primary">Log in</button>
      </p>
    </form>`;
  return page({ ...ctx, authRequired: false }, { title: 'Log in', body, live: false });
}
