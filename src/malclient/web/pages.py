"""The sign-in page's HTML and CSS, and the security headers every answer carries.

Owns markup only: every value is escaped here, nothing is fetched, and pages work without
JavaScript (the one inline script, allowed by its hash, only adds a Copy button).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from malclient.auth import CODE_TTL

__all__ = [
    "APICONFIG_URL",
    "Result",
    "error_page",
    "form_page",
    "paste_page",
    "result_page",
    "security_headers",
]

APICONFIG_URL = "https://myanimelist.net/apiconfig"
_MINUTES = int(CODE_TTL // 60)

_STYLE = """
:root{color-scheme:light dark;--fg:#1c1f24;--bg:#eef1f6;--card:#fff;--accent:#2e51a2;
--muted:#4a4f57;--bad:#8a1c12;--badbg:#fdecea;--good:#1d5e2c;--goodbg:#e6f4ea;--line:#c9ced8}
@media (prefers-color-scheme:dark){:root{--fg:#e8eaee;--bg:#15171b;--card:#1f2228;
--accent:#8fb0ff;--muted:#b5bac3;--bad:#ffb4a9;--badbg:#4a1d18;--good:#a8dab5;--goodbg:#173824;
--line:#3a3f48}}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;background:var(--bg);color:var(--fg);font:1rem/1.5 system-ui,sans-serif}
main{max-width:42rem;margin:0 auto;padding:1rem}
@media (min-width:40rem){main{margin:2rem auto;padding:1.5rem 2rem;background:var(--card);
border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.15)}}
h1{margin:.25rem 0 .75rem;font-size:1.5rem;line-height:1.25;color:var(--accent)}
h2{margin:1.5rem 0 .5rem;font-size:1.15rem}
a{color:var(--accent)}
code{font:.9em ui-monospace,monospace;overflow-wrap:anywhere}
label,legend{display:block;margin-top:1rem;font-weight:600}
fieldset{margin:1rem 0 0;padding:0;border:0}
input[type=text],input[type=password],textarea{width:100%;margin-top:.25rem;padding:.6rem;
font:inherit;color:inherit;background:var(--card);border:1px solid var(--line);border-radius:4px}
textarea{font:.85rem/1.4 ui-monospace,monospace;resize:vertical}
.choice{display:flex;gap:.6rem;align-items:flex-start;margin-top:.75rem;font-weight:400}
.choice input{margin-top:.35rem;flex:none}
.hint,.note{margin:.25rem 0 0;font-size:.9rem;color:var(--muted)}
.sub{margin:.25rem 0 0 1.6rem}
button,.button{display:inline-block;margin-top:1.25rem;padding:.7rem 1.2rem;border:1px solid
var(--accent);border-radius:4px;background:var(--accent);color:var(--card);font:inherit;
font-weight:600;text-decoration:none;cursor:pointer}
.secondary{background:transparent;color:var(--accent)}
.actions{display:flex;flex-wrap:wrap;gap:0 .75rem;align-items:baseline}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.alert{padding:.6rem .8rem;border-radius:4px;background:var(--badbg);color:var(--bad)}
.ok{padding:.6rem .8rem;border-radius:4px;background:var(--goodbg);color:var(--good)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:.75rem 0}
dt{font-weight:600}dd{margin:0}
ol{padding-left:1.4rem}li{margin:.35rem 0}
"""

# Shows the Copy button (hidden without JavaScript) and copies the block; no framework.
_SCRIPT = """
for (const button of document.querySelectorAll("button[data-copy]")) {
  const box = document.getElementById(button.dataset.copy);
  const status = document.getElementById(button.dataset.status);
  button.hidden = false;
  button.addEventListener("click", async () => {
    box.select();
    try { await navigator.clipboard.writeText(box.value); }
    catch { document.execCommand("copy"); }
    status.textContent = "Copied. Paste it into config.yml in place of the old mal: section.";
  });
}
"""


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


_STYLE_HASH = _sha256(_STYLE)
_SCRIPT_HASH = _sha256(_SCRIPT)


def security_headers(form_targets: tuple[str, ...]) -> dict[str, str]:
    """Headers for every answer: no caching, no referrer (the callback URL holds the code), a
    CSP that allows only this page's own style and script, and forms that post to this page
    or lead to MAL's authorize page (browsers apply `form-action` to the redirect too)."""
    targets = " ".join(dict.fromkeys(form_targets))
    return {
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": (
            f"default-src 'none'; style-src '{_STYLE_HASH}'; script-src '{_SCRIPT_HASH}'; "
            f"form-action 'self' {targets}; base-uri 'none'; frame-ancestors 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
    }


def _document(title: str, body: str, *, script: bool = False) -> str:
    tail = f"<script>{_SCRIPT}</script>\n" if script else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{escape(title)} · MyAnimeList sign-in</title>
<style>{_STYLE}</style>
</head>
<body>
<main>
{body}</main>
{tail}</body>
</html>
"""


def form_page(
    *,
    base: str,
    callback_url: str,
    client_id: str = "",
    mode: str = "callback",
    redirect_uri: str = "",
    error: str | None = None,
) -> str:
    """Step one: the app's credentials and how MyAnimeList sends the browser back."""
    alert = f'<p class="alert" id="error" role="alert">{escape(error)}</p>\n' if error else ""
    callback_checked = " checked" if mode != "paste" else ""
    paste_checked = " checked" if mode == "paste" else ""
    cb = escape(callback_url)
    body = f"""<h1>Sign in to MyAnimeList and get a <code>mal:</code> block</h1>
<p>Sign in with your own MyAnimeList API app and get the complete <code>mal:</code> section for
Kometa's <code>config.yml</code>, with tokens that work. Nothing is stored: what the sign-in needs
between here and MyAnimeList travels in an encrypted cookie that lasts {_MINUTES} minutes and is
deleted when you finish.</p>
<details>
<summary>No app yet? Create one in two minutes</summary>
<ol>
<li>Open <a href="{APICONFIG_URL}" rel="noopener noreferrer">MyAnimeList's API page</a> and
click <em>Create ID</em>.</li>
<li><strong>App Type</strong>: <em>web</em> gives the app a client secret; <em>android</em>,
<em>ios</em> and <em>other</em> give none. Either works here.</li>
<li><strong>App Redirect URL</strong>: <code>{cb}</code> (this page), or
<code>http://localhost/</code> as Kometa's guide says (then choose the second option below).</li>
<li>Fill in the other fields as you like, submit, and open the app again with <em>Edit</em> to
see its Client ID and Client Secret.</li>
</ol>
</details>
{alert}<form method="post" action="{escape(base)}/start">
<label for="client_id">Client ID</label>
<input type="text" id="client_id" name="client_id" value="{escape(client_id)}" required
 autocomplete="off" autocapitalize="none" spellcheck="false"
 aria-describedby="client_id_hint">
<p class="hint" id="client_id_hint">From your app at {APICONFIG_URL}: 32 letters and
digits.</p>
<label for="client_secret">Client secret <span class="hint">(web apps only)</span></label>
<input type="password" id="client_secret" name="client_secret" autocomplete="off"
 autocapitalize="none" spellcheck="false" aria-describedby="client_secret_hint">
<p class="hint" id="client_secret_hint">Apps of type <em>web</em> have one: paste it. Leave
this empty for <em>android</em>, <em>ios</em> and <em>other</em> apps, which have none.</p>
<fieldset>
<legend>Your app's redirect URL</legend>
<label class="choice"><input type="radio" name="mode" value="callback"{callback_checked}>
<span>This page: <code>{cb}</code><br><span class="hint">Register exactly this address for
your app. MyAnimeList brings you straight back here.</span></span></label>
<label class="choice"><input type="radio" name="mode" value="paste"{paste_checked}>
<span><code>http://localhost/</code> or another address (Kometa's setup)<br><span
class="hint">After you click Allow, that page will not load; you copy its address and paste it
here.</span></span></label>
<div class="sub">
<label for="redirect_uri">Redirect URL, exactly as registered
<span class="hint">(only if your app has several)</span></label>
<input type="text" id="redirect_uri" name="redirect_uri" value="{escape(redirect_uri)}"
 autocomplete="off" autocapitalize="none" spellcheck="false" placeholder="http://localhost/">
</div>
</fieldset>
<button type="submit">Sign in with MyAnimeList</button>
</form>
<p class="note">The source of this page is malclient's <code>mal web</code>; run it on your own
computer with <code>mal web</code>.</p>
"""
    return _document("Get a mal: block", body)


def paste_page(
    *, base: str, authorize_url: str, flow: str, redirect_uri: str | None, error: str | None = None
) -> str:
    """Kometa's way: open MAL in another tab, come back with the address that did not load."""
    alert = f'<p class="alert" id="error" role="alert">{escape(error)}</p>\n' if error else ""
    invalid = ' aria-invalid="true" aria-describedby="error"' if error else ""
    where = (
        f"<code>{escape(redirect_uri)}</code>"
        if redirect_uri
        else "your app's redirect URL (such as <code>http://localhost/</code>)"
    )
    body = f"""<h1>Sign in on MyAnimeList, then paste the address</h1>
<ol>
<li><a class="button" id="authorize" href="{escape(authorize_url)}" target="_blank"
 rel="noopener noreferrer">Open MyAnimeList's sign-in page</a><br>
<span class="hint">It opens in a new tab. Sign in and click <em>Allow</em>.</span></li>
<li>MyAnimeList then sends that tab to {where}. That page will not load: this is expected.
Copy the whole address from the address bar (it contains <code>?code=</code>).
<span class="hint">If some other website opens instead, a web server runs on your computer:
stop it and start again.</span></li>
<li>Paste the address here within {_MINUTES} minutes.</li>
</ol>
{alert}<form method="post" action="{escape(base)}/paste">
<input type="hidden" name="flow" value="{escape(flow)}">
<label for="address">Address of the page that did not load</label>
<textarea id="address" name="address" rows="4" required autocomplete="off" spellcheck="false"
 autocapitalize="none" placeholder="http://localhost/?code=…&amp;state=…"{invalid}></textarea>
<button type="submit">Finish signing in</button>
</form>
<p class="note"><a href="{escape(base)}/">Start again</a></p>
"""
    return _document("Paste the address", body)


@dataclass(frozen=True, repr=False)
class Result:
    """What the result page shows. `block` holds the tokens: never log or repr it."""

    block: str
    user_name: str | None
    user_id: int | None
    expires_at: float
    refresh_expires_at: float | None
    warnings: tuple[str, ...] = ()


def _when(moment: float, now: float) -> str:
    stamp = dt.datetime.fromtimestamp(moment, dt.UTC)
    days = (moment - now) / 86400
    if days >= 1.5:
        later = f"in {round(days)} days"
    else:
        hours = max(0, round((moment - now) / 3600))
        later = f"in {hours} hour{'' if hours == 1 else 's'}"
    return (
        f'<time datetime="{stamp.isoformat(timespec="seconds")}">'
        f"{stamp:%Y-%m-%d %H:%M} UTC</time> ({later})"
    )


def result_page(*, base: str, result: Result, now: float) -> str:
    """The `mal:` block, who it belongs to and when it expires; Copy and Download."""
    name = escape(result.user_name or "")
    if result.user_name:
        who = f"Signed in as {name}"
        proof = (
            f'<p class="ok" role="status">The tokens work: MyAnimeList answered as '
            f"<strong>{name}</strong>"
            + (f" (user id {result.user_id})" if result.user_id is not None else "")
            + ".</p>"
        )
    else:
        who = "Signed in"
        proof = ""
    warnings = "".join(f'<p class="alert" role="alert">{escape(w)}</p>\n' for w in result.warnings)
    refresh = (
        f"<dt>Refresh token</dt><dd>about {_when(result.refresh_expires_at, now)}</dd>"
        if result.refresh_expires_at is not None
        else ""
    )
    lines = result.block.count("\n") + 1
    download = "data:application/yaml;charset=utf-8," + quote(result.block, safe="")
    body = f"""<h1>{who}</h1>
{proof}
{warnings}<dl>
<dt>Access token</dt><dd>expires {_when(result.expires_at, now)}</dd>
{refresh}
</dl>
<p class="note">Kometa renews the access token with the refresh token by itself. If nothing uses
them for about a month, the refresh token runs out too: then sign in here again.</p>
<h2 id="block_label">Your <code>mal:</code> block</h2>
<p>Replace the whole <code>mal:</code> section of Kometa's <code>config.yml</code> with this
(keep a <code>cache_expiration</code> line if you had one).</p>
<textarea id="block" readonly rows="{lines}" wrap="off" spellcheck="false"
 aria-labelledby="block_label">{escape(result.block)}</textarea>
<div class="actions">
<button type="button" data-copy="block" data-status="copy_status" hidden>Copy</button>
<a class="button secondary" id="download" href="{escape(download)}" download="mal.yml"
 type="application/yaml">Download mal.yml</a>
</div>
<p class="note" id="copy_status" role="status" aria-live="polite"></p>
<p class="note">Keep this private: anyone with these tokens can read and change your lists. This
page kept nothing: reloading it will not show the block again.</p>
<p><a href="{escape(base)}/">Sign in again</a></p>
"""
    return _document(who, body, script=True)


def error_page(*, base: str, title: str, message: str) -> str:
    body = f"""<h1>{escape(title)}</h1>
<p class="alert" role="alert">{escape(message)}</p>
<p><a class="button" href="{escape(base)}/">Start again</a></p>
"""
    return _document(title, body)
