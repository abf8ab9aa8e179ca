/*  theme: the light and dark themes of every page (portal.h).

    The colours are CSS custom properties with light values; the dark
    values apply when the browser prefers a dark scheme
    (prefers-color-scheme) and the person has not chosen, or when they chose
    dark. The choice is the cookie opdesk_theme (light or dark; none:
    follow the browser), set by POST /agent/theme from the toggle in the
    console's header, read by the page frame into <html data-theme>: no
    script, no style attribute, so the pages' Content-Security-Policy stays
    as strict as it is. Every pair of text and background colours below
    meets WCAG 2.2 AA (4.5:1 for text, 3:1 for borders that carry meaning)
    in both themes; axe-core checks it in the browser tests
    (tests/integration/test_console_a11y.py).

    The rules here come after the portal's and the console's own (the frame
    appends portal_theme_css last), so they own the colours: a new page
    that colours something uses these variables. */
#include "console.h"
#include "opd_log.h"
#include <stdio.h>
#include <string.h>

#define THEME_COOKIE "opdesk_theme"
#define THEME_MAX_AGE_S (400LL * 24 * 3600)  //  the longest a browser keeps a cookie

//  The dark values, used twice: under prefers-color-scheme and for a chosen dark.
#define THEME_DARK                                                                                            \
    "color-scheme:dark;--fg:#e4e7ec;--bg:#14181e;--muted:#a9b2bf;--line:#5c6675;--soft:#2a3039;"               \
    "--link:#8ab4f8;--field:#1c2128;--button:#2a3039;--err-bg:#3d1518;--err-line:#e07070;--err-fg:#ffcaca;"    \
    "--ok-bg:#10301a;--ok-line:#5fae6b;--ok-fg:#b8ecc1;--warn-bg:#3a2d06;--warn-line:#d0a030;"                 \
    "--warn-fg:#ffe08a;--info-bg:#0f2747;--info-line:#6d97d8;--info-fg:#c8dafa;--grey-bg:#2b3038;"             \
    "--grey-line:#8a929e;--grey-fg:#dde1e6;--note-bg:#2a2412;--sel:#8ab4f8"

const char portal_theme_css[]
    = ":root{color-scheme:light;--fg:#1d2733;--bg:#fff;--muted:#5a6270;--line:#8a93a0;--soft:#e4e6ea;"
      "--link:#0b57d0;--field:#fff;--button:#eef0f3;--err-bg:#fde8e8;--err-line:#c55;--err-fg:#7a1010;"
      "--ok-bg:#e8f6ea;--ok-line:#5a9a5a;--ok-fg:#1d4d1d;--warn-bg:#fff4d6;--warn-line:#b08020;"
      "--warn-fg:#5c4100;--info-bg:#e8f0fe;--info-line:#7a9fd6;--info-fg:#123a78;--grey-bg:#f0f0f0;"
      "--grey-line:#888;--grey-fg:#333;--note-bg:#fffaf0;--sel:#123a78}"
      "@media (prefers-color-scheme:dark){:root:not([data-theme=light]){" THEME_DARK "}}"
      ":root[data-theme=dark]{" THEME_DARK "}"
      "html,body{background:var(--bg);color:var(--fg)}a{color:var(--link)}.muted,.event{color:var(--muted)}"
      "header{border-bottom-color:var(--line)}td,th{border-bottom-color:var(--soft)}"
      "input,select,textarea{background:var(--field);color:var(--fg);border:1px solid var(--line);"
      "border-radius:.2rem}button{background:var(--button);color:var(--fg);border:1px solid var(--line);"
      "border-radius:.3rem;cursor:pointer}fieldset{border-color:var(--line)}"
      ":focus-visible{outline:2px solid var(--link);outline-offset:2px}"
      ".error{background:var(--err-bg);border-color:var(--err-line);color:var(--err-fg)}"
      ".ok{background:var(--ok-bg);border-color:var(--ok-line);color:var(--ok-fg)}"
      ".banner{background:var(--warn-bg);border-color:var(--warn-line);color:var(--warn-fg)}"
      ".comment{border-left-color:var(--line)}.note{border-left-color:var(--warn-line);background:var(--note-bg)}"
      ".slo-running{background:var(--info-bg);border-color:var(--info-line);color:var(--info-fg)}"
      ".slo-soon{background:var(--warn-bg);border-color:var(--warn-line);color:var(--warn-fg)}"
      ".slo-paused{background:var(--grey-bg);border-color:var(--grey-line);color:var(--grey-fg)}"
      ".slo-met{background:var(--ok-bg);border-color:var(--ok-line);color:var(--ok-fg)}"
      ".slo-breached{background:var(--err-bg);border-color:var(--err-line);color:var(--err-fg)}"
      "#queue tr.sel{outline-color:var(--sel)}"
      //  The toggle shows the one button that changes what is shown now, and
      //  "System theme" once a choice overrides the browser's.
      ".theme{display:inline}.theme button{margin-left:.4rem}"
      //  The preview of a standard response in the reply form (console_stdresp.c).
      ".preview{border:1px solid var(--line);border-radius:.3rem;padding:.5rem .7rem;margin:.4rem 0}"
      ".pick{display:flex;gap:.5rem;align-items:center}.pick select{flex:1}.pick button{margin:0}"
      ":root[data-theme=light] .to-light,:root[data-theme=dark] .to-dark,:root:not([data-theme]) .to-auto"
      "{display:none}"
      "@media (prefers-color-scheme:dark){:root:not([data-theme]) .to-dark{display:none}}"
      "@media (prefers-color-scheme:light){:root:not([data-theme]) .to-light{display:none}}";

const char *
portal_theme (const http_req_t *req)
{
    const char *v = http_cookie (req, THEME_COOKIE);
    return v && (!strcmp (v, "light") || !strcmp (v, "dark")) ? v : NULL;
}

//  The page to go back to after a choice: the queue or a ticket (the part
//  of the path up to the ticket's id), never anything another site names.
static void
s_back (GString *b, const char *path)
{
    char id[80];
    if (path && !strncmp (path, "/agent/tickets/", 15)
        && sscanf (path + 15, "%79[A-Za-z0-9-]", id) == 1 && web_id_valid (id))
        g_string_append_printf (b, "/agent/tickets/%s", id);
    else
        g_string_append (b, "/agent");
}

void
portal_theme_form (GString *b, const http_req_t *req, const char *csrf)
{
    g_string_append (b, "<form method=\"post\" action=\"/agent/theme\" class=\"theme\" id=\"theme\">");
    portal_csrf_field (b, csrf);
    g_string_append (b, "<input type=\"hidden\" name=\"back\" value=\"");
    s_back (b, req->path);
    g_string_append (b, "\"><button type=\"submit\" name=\"theme\" value=\"dark\" class=\"to-dark\">"
                        "<span aria-hidden=\"true\">\u263E</span> Dark theme</button>"
                        "<button type=\"submit\" name=\"theme\" value=\"light\" class=\"to-light\">"
                        "<span aria-hidden=\"true\">\u2600</span> Light theme</button>"
                        "<button type=\"submit\" name=\"theme\" value=\"auto\" class=\"to-auto\">"
                        "System theme</button></form>");
}

void
console_theme_post (http_req_t *req, const web_session_t *s)
{
    form_t f;
    if (portal_form_post (req, &s->who, &f))
        return;
    const char *theme = portal_form_get (&f, "theme");
    if (!theme || (strcmp (theme, "light") && strcmp (theme, "dark") && strcmp (theme, "auto"))) {
        portal_message_page (req, 422, "Unknown theme", &s->who, "The theme must be light, dark or auto.");
        portal_form_free (&f);
        return;
    }
    //  auto: no cookie, so the browser's preference rules again.
    bool follow = !strcmp (theme, "auto");
    web_cookie_set (req, THEME_COOKIE, follow ? "" : theme, follow ? 0 : THEME_MAX_AGE_S);
    GString *back = g_string_new (NULL);
    s_back (back, portal_form_get (&f, "back"));
    portal_redirect (req, back->str);
    g_string_free (back, TRUE);
    portal_form_free (&f);
}
