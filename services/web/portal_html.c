/*  portal_html: what every page of the portal (portal.c) is made with.
    The page frame with its security headers, escaping, the urlencoded
    forms a page posts, and the checks every POST passes: same origin and
    the CSRF token. */
#include "opd_log.h"
#include "opd_util.h"
#include "console.h"
#include "portal.h"
#include <ctype.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

//  --- HTML ----------------------------------------------------------------

//  Appends text with & < > " ' escaped: safe in element content and in
//  quoted attribute values.
void
portal_esc (GString *out, const char *text)
{
    for (const char *p = text ? text : ""; *p; p++) {
        switch (*p) {
        case '&':
            g_string_append (out, "&amp;");
            break;
        case '<':
            g_string_append (out, "&lt;");
            break;
        case '>':
            g_string_append (out, "&gt;");
            break;
        case '"':
            g_string_append (out, "&quot;");
            break;
        case '\'':
            g_string_append (out, "&#39;");
            break;
        default:
            g_string_append_c (out, *p);
        }
    }
}

const char *
portal_jstr (json_t *obj, const char *key)
{
    return json_string_value (json_object_get (obj, key));
}

static const char s_style[]
    = "body{font-family:system-ui,sans-serif;max-width:52rem;margin:0 auto;padding:1rem;color:#1d2733}"
      "header{display:flex;justify-content:space-between;align-items:center;border-bottom:1px solid #ccd;"
      "margin-bottom:1rem}header a{margin-right:1rem}header form{display:inline}"
      "label{display:block;margin:.6rem 0 .2rem;font-weight:600}"
      "input,select,textarea{width:100%;box-sizing:border-box;padding:.4rem;font:inherit}"
      "textarea{min-height:8rem}button{padding:.5rem 1rem;font:inherit;margin-top:.8rem}"
      "fieldset{margin-top:1rem;border:1px solid #ccd}fieldset.rt{display:none}fieldset.rt.shown{display:block}"
      ".error{background:#fde8e8;border:1px solid #e0a0a0;padding:.6rem}"
      ".ok{background:#e8f6ea;border:1px solid #9c9;padding:.6rem}"
      "table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem;border-bottom:1px solid #eee}"
      ".comment{border-left:3px solid #ccd;padding:.2rem .8rem;margin:1rem 0}"
      ".body{white-space:pre-wrap}.muted{color:#667}";

void
portal_csrf_field (GString *b, const char *csrf)
{
    g_string_append (b, "<input type=\"hidden\" name=\"csrf\" value=\"");
    portal_esc (b, csrf);
    g_string_append (b, "\">");
}

void
portal_page (http_req_t *req, int status, const char *title, const web_auth_t *who,
             GString *body, const char *extra_css)
{
    portal_page_script (req, status, title, who, body, extra_css, NULL);
}

//  Sends a page: the frame around body (taken), the security headers. With
//  script_src, that one script (deferred) and a policy allowing only it.
void
portal_page_script (http_req_t *req, int status, const char *title, const web_auth_t *who,
                    GString *body, const char *extra_css, const char *script_src)
{
    const char *theme = portal_theme (req);
    GString *out = g_string_new ("<!DOCTYPE html>\n<html lang=\"en\"");
    if (theme)
        g_string_append_printf (out, " data-theme=\"%s\"", theme);
    g_string_append (out, "><head><meta charset=\"utf-8\">"
                          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
    portal_esc (out, title);
    g_string_append (out, " &ndash; Service Desk</title><style>");
    g_string_append (out, s_style);
    if (extra_css)
        g_string_append (out, extra_css);
    g_string_append (out, portal_theme_css);
    g_string_append (out, "</style>");
    if (script_src) {
        g_string_append (out, "<script src=\"");
        portal_esc (out, script_src);
        g_string_append (out, "\" defer></script>");
    }
    g_string_append (out, "</head><body><header><nav><a href=\"/\">New request</a>");
    if (who) {
        const web_session_t *session = (const web_session_t *) who;
        g_string_append (out, who->role == OPD_ROLE_REQUESTER ? "<a href=\"/tickets\">My requests</a><a href=\"/settings\">Settings</a>"
                                                              : "<a href=\"/agent\">Agent console</a>");
        if (who->role >= OPD_ROLE_LEAD)
            g_string_append (out, "<a href=\"/agent/dashboard\">Dashboard</a>");
        if (who->role != OPD_ROLE_REQUESTER)
            console_nav (out, req, who);  //  notifications (unread count), settings
        g_string_append (out, "</nav><div><span class=\"muted\">");
        portal_esc (out, who->identity);
        g_string_append (out, "</span> <form method=\"post\" action=\"/logout\">");
        portal_csrf_field (out, session->csrf);
        g_string_append (out, "<button type=\"submit\">Sign out</button></form>");
        if (who->role >= OPD_ROLE_AGENT)
            portal_theme_form (out, req, session->csrf);
        g_string_append (out, "</div>");
    }
    else
        g_string_append (out, "<a href=\"/login\">Sign in</a></nav>");
    g_string_append (out, "</header><main>");
    g_string_append_len (out, body->str, (gssize) body->len);
    g_string_free (body, TRUE);
    g_string_append (out, "</main></body></html>\n");
    //  No inline script anywhere; the console's one script file is 'self'.
    http_add_header (req, "Content-Security-Policy",
                     script_src ? "default-src 'none'; script-src 'self'; connect-src 'self'; "
                                  "style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
                                  "frame-ancestors 'none'; base-uri 'none'"
                                : "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
                                  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    http_add_header (req, "X-Frame-Options", "DENY");
    http_add_header (req, "Referrer-Policy", "same-origin");
    http_add_header (req, "Cache-Control", "no-store");
    size_t len = out->len;
    http_reply (req, status, "text/html; charset=utf-8", g_string_free (out, FALSE), len);
}

void
portal_message_page (http_req_t *req, int status, const char *title, const web_auth_t *who,
                     const char *text)
{
    GString *b = g_string_new ("<h1>");
    portal_esc (b, title);
    g_string_append (b, "</h1><p class=\"error\">");
    portal_esc (b, text);
    g_string_append (b, "</p>");
    portal_page (req, status, title, who, b, NULL);
}

void
portal_redirect (http_req_t *req, const char *location)
{
    http_add_header (req, "Location", location);
    GString *b = g_string_new ("<p><a href=\"");
    portal_esc (b, location);
    g_string_append (b, "\">Continue</a></p>");
    portal_page (req, 303, "Redirecting", NULL, b, NULL);
}

//  --- Forms ---------------------------------------------------------------

static int
s_hex (int c)
{
    return g_ascii_xdigit_value ((char) c);
}

//  Decodes one application/x-www-form-urlencoded component; NULL when it is
//  malformed (a bad % escape, a NUL, not UTF-8).
static char *
s_unescape (const char *s, size_t n)
{
    char *out = opd_calloc (n + 1, 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+')
            out[j++] = ' ';
        else if (s[i] == '%') {
            if (i + 2 >= n) {
                free (out);
                return NULL;
            }
            int hi = s_hex ((unsigned char) s[i + 1]), lo = s_hex ((unsigned char) s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                free (out);
                return NULL;
            }
            out[j++] = (char) (hi * 16 + lo);
            i += 2;
        }
        else
            out[j++] = s[i];
    }
    out[j] = 0;
    if (!opd_utf8_valid (out, j)) {
        free (out);
        return NULL;
    }
    return out;
}

void
portal_form_free (form_t *f)
{
    for (int i = 0; i < f->n; i++) {
        free (f->name[i]);
        free (f->value[i]);
    }
    f->n = 0;
}

//  Parses a urlencoded body (or query). Returns 0, or -1 when malformed or
//  with more than FORM_MAX_PAIRS pairs.
//  A browser sends a textarea's line breaks as CR LF (the HTML standard);
//  the desk keeps text with LF alone, as mail and the API give it.
static void
s_lf (char *v)
{
    char *w = v;
    for (const char *r = v; *r; r++)
        if (!(r[0] == '\r' && r[1] == '\n'))
            *w++ = *r;
    *w = '\0';
}

static int
s_form_parse (const char *text, size_t len, form_t *f)
{
    memset (f, 0, sizeof *f);
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && text[end] != '&')
            end++;
        if (end > i) {
            if (f->n == FORM_MAX_PAIRS) {
                portal_form_free (f);
                return -1;
            }
            const char *eq = memchr (text + i, '=', end - i);
            size_t klen = eq ? (size_t) (eq - (text + i)) : end - i;
            char *k = s_unescape (text + i, klen);
            char *v = eq ? s_unescape (eq + 1, (size_t) (text + end - eq - 1)) : opd_strdup ("");
            if (!k || !v) {
                free (k);
                free (v);
                portal_form_free (f);
                return -1;
            }
            s_lf (v);
            f->name[f->n] = k;
            f->value[f->n] = v;
            f->n++;
        }
        i = end + 1;
    }
    return 0;
}

//  The first value of name, or NULL.
const char *
portal_form_get (const form_t *f, const char *name)
{
    for (int i = 0; f && i < f->n; i++)
        if (!strcmp (f->name[i], name))
            return f->value[i];
    return NULL;
}

//  The body of a form POST; answers 415/400 and returns -1 when it is not one.
static int
s_form_body (http_req_t *req, const web_auth_t *who, form_t *f)
{
    const char *ct = http_header (req, "Content-Type");
    if (!ct || strncasecmp (ct, "application/x-www-form-urlencoded", 33)) {
        portal_message_page (req, 415, "Unsupported form", who, "This form must be sent as a web form.");
        return -1;
    }
    if (s_form_parse (req->body, req->body_len, f)) {
        portal_message_page (req, 400, "Bad form", who, "The form could not be read.");
        return -1;
    }
    return 0;
}

//  POSTs only from this site: a browser names the origin of a form post;
//  with SameSite=Strict cookies this closes cross-site request forgery.
static bool
s_same_origin (http_req_t *req, const web_auth_t *who)
{
    const char *origin = http_header (req, "Origin");
    if (!origin)
        return true;
    const char *host = http_header (req, "Host");
    const char *pub = req->cfg->web_public_url;
    bool ok = false;
    if (host) {
        char a[512];
        snprintf (a, sizeof a, "http://%s", host);
        ok = !strcmp (origin, a);
        snprintf (a, sizeof a, "https://%s", host);
        ok = ok || !strcmp (origin, a);
    }
    if (!ok && pub) {
        size_t n = strlen (origin);
        ok = !strncmp (pub, origin, n) && (pub[n] == 0 || pub[n] == '/');
    }
    if (!ok)
        portal_message_page (req, 403, "Not allowed", who, "This form can only be sent from the Service Desk's own pages.");
    return ok;
}

//  The form's CSRF token must be the session's (without a session, the
//  opdesk_csrf cookie's); else 403. SameSite=Strict cookies already keep
//  other sites' forms out; this also covers browsers that ignore SameSite.
//  The sign-in forms and the public request form also take a post without
//  a token that names no page it came from (no Origin, no Referer): not a
//  browser's form but a script, as the contract's "/login takes a token"
//  reads. Any browser that could be led to post cross-site sends Origin
//  (checked above), and these forms act for no signed-in session
//  (decision 173).
static bool
s_scripted_signin (http_req_t *req, const form_t *f)
{
    const char *token = portal_form_get (f, "csrf");
    if ((token && *token) || http_header (req, "Origin") || http_header (req, "Referer"))
        return false;
    return !strcmp (req->path, "/login") || !strcmp (req->path, "/logout") || !strcmp (req->path, "/");
}

static bool
s_csrf_check (http_req_t *req, const web_auth_t *who, const form_t *f)
{
    if (web_csrf_ok (req, (const web_session_t *) who, portal_form_get (f, "csrf")) || s_scripted_signin (req, f))
        return true;
    portal_message_page (req, 403, "Form expired", who,
                    "This form has expired or did not come from the Service Desk's pages. "
                    "Please load the page again and send it once more.");
    return false;
}

bool
portal_origin_ok (http_req_t *req, const web_auth_t *who)
{
    return s_same_origin (req, who);
}

int
portal_form_post (http_req_t *req, const web_auth_t *who, form_t *f)
{
    if (!s_same_origin (req, who) || s_form_body (req, who, f))
        return -1;
    if (!s_csrf_check (req, who, f)) {
        portal_form_free (f);
        return -1;
    }
    return 0;
}
