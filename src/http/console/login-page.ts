import { html } from "hono/html";
import { consolePage } from "./layout.ts";

/** The console's login form: an admin token in, a session cookie out. */
export function renderLoginPage(error: string | null) {
  return consolePage(
    "Log in",
    null,
    html`<form method="post" action="/admin/login">
<p><label for="token">Admin token</label><br><input id="token" name="token" type="password" autocomplete="current-password" size="48" required autofocus></p>
<p><button type="submit" class="hds-button hds-button--primary hds-button--small">Log in</button></p></form>`,
    error ? { text: error, error: true } : null,
  );
}
