/*  attach: files attached to a ticket through the web (issue 12).

    POST /api/v1/tickets/ID/attachments?filename=NAME   (the API)
        the raw file as the body, its type in Content-Type; the ticket's
        requester (its own ticket, else 404) or an agent and above. 201 with
        the attachment's metadata {name, content_type, size, sha256}; 200
        when that name and body are on the ticket already.
    GET  /api/v1/tickets/ID/attachments/SHA256           (the API)
    GET  /agent/tickets/ID/attachments/SHA256            (the console)
        the body, to whoever may see the ticket, as a download: its stored
        type, Content-Disposition: attachment, nosniff and a sandbox policy,
        so that a file never runs as a page of the desk.

    The limits are the email adapter's (channels.email.max_attachment_bytes,
    413 beyond, checked before anything is stored), the folder is its
    attachments.dir (opd_blob: the body under its SHA-256; attach.lua adds
    the ticket to the body's opd:blob:SHA256:refs),
    the types allowed are channels.web.attachment_types (415 otherwise).
    The metadata joins the ticket through attach.lua (opd_store_attach),
    with a history entry and ticket.updated. The anonymiser deletes the
    bodies with the metadata. Logs carry the ticket id, the size and the
    digest, never the file's name. */
#include "api.h"
#include "opd_blob.h"
#include "opd_log.h"
#include "opd_store.h"
#include "opd_util.h"
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_ATTACHMENTS 100  //  per ticket, as intake.submit allows
#define FORM_OVERHEAD 65536  //  room for a form's other parts around the file

//  The types allowed when channels.web.attachment_types is not set: common
//  documents and pictures, none that a browser would run (no HTML, no SVG).
static const char *const s_default_types[] = {
    "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain", "text/csv",
    "application/zip", "message/rfc822", "application/vnd.openxmlformats-officedocument.*",
    "application/vnd.oasis.opendocument.*", "application/msword", "application/vnd.ms-excel", NULL};

//  True when url is PREFIX + something + /attachments.
static bool
s_upload_url (const char *url, const char *pre)
{
    static const char tail[] = "/attachments";
    size_t n = strlen (url), p = strlen (pre), t = sizeof tail - 1;
    return !strncmp (url, pre, p) && n > p + t && !strcmp (url + n - t, tail);
}

bool
web_attach_large (const char *method, const char *url)
{
    return !strcmp (method, "POST") && (s_upload_url (url, "/api/v1/tickets/") || s_upload_url (url, "/tickets/"));
}

size_t
web_attach_limit (const opd_config_t *cfg)
{
    return (size_t) cfg->max_attachment_bytes + FORM_OVERHEAD;
}

//  True when entry (an exact type, or a prefix ending in "*") allows type.
static bool
s_type_match (const char *entry, const char *type)
{
    size_t n = strlen (entry);
    if (n && entry[n - 1] == '*')
        return !strncasecmp (entry, type, n - 1);
    return !strcasecmp (entry, type);
}

bool
web_attach_type_ok (const opd_config_t *cfg, const char *type)
{
    if (cfg->nweb_attachment_types) {
        for (size_t i = 0; i < cfg->nweb_attachment_types; i++)
            if (s_type_match (cfg->web_attachment_types[i], type))
                return true;
        return false;
    }
    for (size_t i = 0; s_default_types[i]; i++)
        if (s_type_match (s_default_types[i], type))
            return true;
    return false;
}

void
web_attach_media_type (const char *ct, char *out, size_t size)
{
    out[0] = 0;
    if (!ct)
        return;
    size_t n = strcspn (ct, ";");
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= size)
        return;
    int slashes = 0;
    for (size_t i = 0; i < n; i++) {
        char c = ct[i];
        if (c == '/')
            slashes++;
        else if (!g_ascii_isalnum (c) && !strchr ("!#$&^_.+-", c))
            return;
        out[i] = g_ascii_tolower (c);
    }
    out[n] = 0;
    if (slashes != 1 || out[0] == '/' || out[n - 1] == '/')
        out[0] = 0;
}

//  The file's name as given: its last path segment, 1 to 255 bytes of UTF-8
//  without control characters; NULL when unusable.
static char *
s_file_name (const char *given)
{
    if (!given)
        return NULL;
    const char *base = given;
    for (const char *p = given; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    size_t n = strlen (base);
    if (n == 0 || n > 255 || !opd_utf8_valid (base, n) || !strcmp (base, ".") || !strcmp (base, ".."))
        return NULL;
    for (const unsigned char *p = (const unsigned char *) base; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return NULL;
    return opd_strdup (base);
}

int
web_attach_add (http_req_t *req, const web_auth_t *who, const char *id, const char *name, const char *type,
                const void *data, size_t len, json_t **meta_out)
{
    //  The name's last path segment only (a browser may send a whole path).
    char *base = s_file_name (name);
    char sha[65];
    opd_blob_sha256 (data, len, sha);
    if (!base || opd_blob_put (req->cfg->attachments_dir, sha, data, len)) {
        free (base);
        return -1;
    }
    json_t *meta = json_pack ("{s:s, s:s, s:I, s:s}", "name", base, "content_type", type, "size",
                              (json_int_t) len, "sha256", sha);
    free (base);
    char *text = json_dumps (meta, JSON_COMPACT);
    int rc = opd_store_attach (http_redis (req), req->cfg, opd_now_ms (), id, who->identity, text,
                               MAX_ATTACHMENTS);
    free (text);
    if (rc == 0 || rc == 1)
        opd_info ("attachment %s ticket=%s sha256=%s size=%zu", rc ? "added" : "already there", id, sha, len);
    if (meta_out && (rc == 0 || rc == 1))
        *meta_out = meta;
    else
        json_decref (meta);
    return rc;
}

//  Answers the refusals of opd_store_attach's codes 2 to 5 and failures.
static void
s_attach_refused (http_req_t *req, const char *id, int rc)
{
    if (rc == 2)
        api_not_found (req, id);
    else if (rc == 3)
        http_error (req, 409, "conflict", "ticket %s is closed; nothing can be added to it", id);
    else if (rc == 4)
        http_error (req, 409, "conflict", "ticket %s is anonymised; nothing can be added to it", id);
    else if (rc == 5)
        http_error (req, 409, "conflict", "ticket %s has %d attachments already, the most it keeps", id,
                    MAX_ATTACHMENTS);
    else
        http_error (req, 503, "unavailable", "the attachment could not be stored");
}

const char *
web_attach_check (const opd_config_t *cfg, const char *content_type, const char *name, size_t len)
{
    char type[128];
    web_attach_media_type (content_type, type, sizeof type);
    char *base = s_file_name (name);
    bool named = base != NULL;
    free (base);
    if (!cfg->attachments_dir || !*cfg->attachments_dir)
        return "folder";
    if ((int64_t) len > cfg->max_attachment_bytes)
        return "size";
    if (!*type || !web_attach_type_ok (cfg, type))
        return "type";
    if (!named)
        return "name";
    return len ? NULL : "empty";
}

//  What an upload must pass before anything is stored: a folder to keep it
//  in, the size limit, an allowed type, a usable name (the order of
//  web_attach_check). 0, or -1 after answering.
static int
s_upload_check (http_req_t *req, const char *type, const char *name)
{
    const opd_config_t *cfg = req->cfg;
    if (!cfg->attachments_dir || !*cfg->attachments_dir) {
        http_error (req, 503, "unavailable", "attachments are not kept by this desk "
                                             "(attachments.dir is not set)");
        return -1;
    }
    if ((int64_t) req->body_len > cfg->max_attachment_bytes) {
        http_error_x (req, 413, "too_large", json_pack ("{s:I}", "limit", (json_int_t) cfg->max_attachment_bytes),
                      "the file is larger than the limit of %lld bytes", (long long) cfg->max_attachment_bytes);
        return -1;
    }
    if (!*type || !web_attach_type_ok (cfg, type)) {
        http_error_x (req, 415, "unsupported_media_type", json_pack ("{s:s}", "key", "content_type"),
                      "files of type %s are not accepted", *type ? type : "(none)");
        return -1;
    }
    if (!name) {
        http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", "filename"),
                      "the query parameter filename must name the file (1 to 255 bytes, no control characters)");
        return -1;
    }
    if (req->body_len == 0) {
        http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", "body"), "the file is empty");
        return -1;
    }
    return 0;
}

static bool
s_upload_arg (const char *name)
{
    return !strcmp (name, "filename");
}

void
api_attach_upload (http_req_t *req, const web_auth_t *who, const char *id)
{
    const char *bad = http_args_check (req, s_upload_arg);
    if (bad) {
        http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", bad), "unknown query parameter %s", bad);
        return;
    }
    //  Ownership first: another requester's ticket answers 404 whatever it sends.
    json_t *t = api_ticket (req, who, id, false);
    if (!t)
        return;
    json_decref (t);
    char type[128];
    web_attach_media_type (http_header (req, "Content-Type"), type, sizeof type);
    char *name = s_file_name (http_arg (req, "filename"));
    json_t *meta = NULL;
    int rc = s_upload_check (req, type, name) ? -3
                                              : web_attach_add (req, who, id, name, type, req->body, req->body_len, &meta);
    free (name);
    if (rc == -3)
        return;
    if (rc == 0 || rc == 1)
        http_json (req, rc ? 201 : 200, meta);
    else
        s_attach_refused (req, id, rc);
}

//  The Content-Disposition of a download: an ASCII fallback name and the
//  UTF-8 name percent-encoded (RFC 6266, RFC 8187).
static char *
s_disposition (const char *name)
{
    GString *b = g_string_new ("attachment; filename=\"");
    for (const char *p = name; *p; p++)
        g_string_append_c (b, (g_ascii_isalnum (*p) || strchr ("._- ()", *p)) ? *p : '_');
    g_string_append (b, "\"; filename*=UTF-8''");
    char *enc = g_uri_escape_string (name, NULL, FALSE);
    g_string_append (b, enc);
    g_free (enc);
    return g_string_free (b, FALSE);
}

//  The attachment of t whose sha256 is sha, or NULL.
static json_t *
s_find (json_t *t, const char *sha)
{
    size_t i;
    json_t *a;
    json_array_foreach (json_object_get (t, "attachments"), i, a) {
        const char *s = json_string_value (json_object_get (a, "sha256"));
        if (s && !strcmp (s, sha))
            return a;
    }
    return NULL;
}

//  Reads the body of sha into *data; 0, 1 when it is not there, -1.
static int
s_read (const opd_config_t *cfg, const char *sha, gchar **data, gsize *len)
{
    char *path = opd_blob_path (cfg->attachments_dir, sha);
    GError *err = NULL;
    int rc = g_file_get_contents (path, data, len, &err) ? 0 : -1;
    if (rc && g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        rc = 1;
    else if (rc)
        opd_error ("cannot read an attachment sha256=%s: %s", sha, err->message);
    g_clear_error (&err);
    free (path);
    return rc;
}

void
web_attach_serve (http_req_t *req, const web_auth_t *who, const char *id, const char *sha)
{
    if (!opd_blob_name_valid (sha) || !req->cfg->attachments_dir || !*req->cfg->attachments_dir) {
        http_error (req, 404, "not_found", "no such attachment on ticket %s", id);
        return;
    }
    json_t *t = api_ticket (req, who, id, false);
    if (!t)
        return;
    json_t *a = s_find (t, sha);
    gchar *data = NULL;
    gsize len = 0;
    int rc = a ? s_read (req->cfg, sha, &data, &len) : 1;
    if (rc) {
        if (rc > 0)
            http_error (req, 404, "not_found", "no such attachment on ticket %s", id);
        else
            http_error (req, 503, "unavailable", "the attachment cannot be read now");
        json_decref (t);
        return;
    }
    char type[128];
    web_attach_media_type (json_string_value (json_object_get (a, "content_type")), type, sizeof type);
    char *disp = s_disposition (json_string_value (json_object_get (a, "name")) ?: "attachment");
    http_add_header (req, "Content-Type", *type ? type : "application/octet-stream");
    http_add_header (req, "Content-Disposition", disp);
    http_add_header (req, "Content-Security-Policy", "sandbox; default-src 'none'");
    http_add_header (req, "Cache-Control", "private, no-store");
    char *body = malloc (len + 1);
    if (!body) {
        http_error (req, 503, "unavailable", "the attachment cannot be read now");
        len = 0;
    }
    else {
        memcpy (body, data, len);
        http_reply (req, 200, NULL, body, len);
    }
    g_free (data);
    free (disp);
    json_decref (t);
}

void
api_attach_get (http_req_t *req, const web_auth_t *who, const char *sha)
{
    //  The route's last "*" is the digest; the ticket id is the segment
    //  after /api/v1/tickets/.
    char id[80];
    const char *p = req->path + strlen ("/api/v1/tickets/");
    size_t n = strcspn (p, "/");
    snprintf (id, sizeof id, "%.*s", (int) (n < sizeof id ? n : 0), p);
    web_attach_serve (req, who, id, sha);
}
