/*  portal_attach: files on a requester's ticket page (issue 12; attach.c
    does the storing and serving).

    POST /tickets/ID/attachments        a multipart/form-data form: csrf and
                                        one file; the same checks as the API
    GET  /tickets/ID/attachments/SHA256 the file, as a download

    The page lists the ticket's files as links and shows the form while the
    ticket is not closed. A small multipart reader of its own (the web never
    loads GMime): it takes the parts this one form sends and refuses
    anything it cannot read. */
#include "portal.h"
#include "opd_blob.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_PARTS 4

typedef struct {
    char name[32];        //  the form field's name
    char filename[256];   //  "" when not a file
    char type[128];       //  the part's Content-Type, "" when none
    const char *data;     //  into the body
    size_t len;
} part_t;

//  The value of param (name="...") in a header line, into out; false when
//  absent or too long.
static bool
s_param (const char *line, size_t n, const char *param, char *out, size_t size)
{
    char key[40];
    snprintf (key, sizeof key, "%s=\"", param);
    size_t kl = strlen (key);
    for (size_t i = 0; i + kl <= n; i++) {
        if (strncasecmp (line + i, key, kl) || (i > 0 && line[i - 1] != ' ' && line[i - 1] != ';'))
            continue;
        const char *v = line + i + kl;
        const char *end = memchr (v, '"', n - (i + kl));
        if (!end || (size_t) (end - v) >= size)
            return false;
        memcpy (out, v, (size_t) (end - v));
        out[end - v] = 0;
        return true;
    }
    return false;
}

//  One part's headers (up to the blank line) into p; -1 when malformed.
static int
s_part_headers (const char *s, size_t n, part_t *p, size_t *used)
{
    const char *end = memmem (s, n, "\r\n\r\n", 4);
    if (!end)
        return -1;
    *used = (size_t) (end - s) + 4;
    for (const char *line = s; line < end;) {
        const char *eol = memmem (line, (size_t) (end - line), "\r\n", 2);
        size_t ln = eol ? (size_t) (eol - line) : (size_t) (end - line);
        if (ln > 20 && !strncasecmp (line, "Content-Disposition:", 20)) {
            if (!s_param (line, ln, "name", p->name, sizeof p->name))
                return -1;
            s_param (line, ln, "filename", p->filename, sizeof p->filename);
        }
        else if (ln > 13 && !strncasecmp (line, "Content-Type:", 13)) {
            size_t skip = 13;
            while (skip < ln && line[skip] == ' ')
                skip++;
            snprintf (p->type, sizeof p->type, "%.*s", (int) (ln - skip), line + skip);
        }
        line = eol ? eol + 2 : end;
    }
    return 0;
}

//  Splits a multipart/form-data body into parts; their count, or -1.
static int
s_multipart (const char *ct, const char *body, size_t len, part_t *parts, int max)
{
    char boundary[80], delim[90];
    const char *b = ct ? strcasestr (ct, "boundary=") : NULL;
    if (!b || strncasecmp (ct, "multipart/form-data", 19))
        return -1;
    b += 9;
    size_t bl = strcspn (b, "; \"");
    if (*b == '"')
        bl = strcspn (++b, "\"");
    if (bl == 0 || bl > 70)
        return -1;
    snprintf (boundary, sizeof boundary, "%.*s", (int) bl, b);
    int dl = snprintf (delim, sizeof delim, "\r\n--%s", boundary);
    //  The body starts with --boundary (no CRLF before it).
    if (len < (size_t) dl - 2 || memcmp (body, delim + 2, (size_t) dl - 2))
        return -1;
    size_t pos = (size_t) dl - 2;
    int count = 0;
    while (pos + 2 <= len && !(body[pos] == '-' && body[pos + 1] == '-')) {
        if (count == max || memcmp (body + pos, "\r\n", 2))
            return -1;
        pos += 2;
        part_t *p = &parts[count];
        memset (p, 0, sizeof *p);
        size_t used;
        if (s_part_headers (body + pos, len - pos, p, &used))
            return -1;
        pos += used;
        const char *next = memmem (body + pos, len - pos, delim, (size_t) dl);
        if (!next)
            return -1;
        p->data = body + pos;
        p->len = (size_t) (next - (body + pos));
        pos = (size_t) (next - body) + (size_t) dl;
        count++;
    }
    return pos + 2 <= len ? count : -1;
}

void
portal_attach_list (GString *b, json_t *t, const char *csrf)
{
    const char *id = portal_jstr (t, "id");
    json_t *list = json_object_get (t, "attachments");
    const char *status = portal_jstr (t, "status");
    bool closed = status && !strcmp (status, "closed");
    if (!json_array_size (list) && closed)
        return;
    g_string_append (b, "<h2>Files</h2>");
    if (json_array_size (list)) {
        g_string_append (b, "<ul id=\"attachments\">");
        size_t i;
        json_t *a;
        json_array_foreach (list, i, a) {
            const char *sha = portal_jstr (a, "sha256");
            g_string_append (b, "<li>");
            if (sha && opd_blob_name_valid (sha)) {
                g_string_append (b, "<a href=\"/tickets/");
                portal_esc (b, id);
                g_string_append_printf (b, "/attachments/%s\" download>", sha);
            }
            portal_esc (b, portal_jstr (a, "name") ? portal_jstr (a, "name") : "-");
            g_string_append (b, sha && opd_blob_name_valid (sha) ? "</a></li>" : "</li>");
        }
        g_string_append (b, "</ul>");
    }
    if (closed)
        return;
    g_string_append (b, "<form method=\"post\" enctype=\"multipart/form-data\" action=\"/tickets/");
    portal_esc (b, id);
    g_string_append (b, "/attachments\">");
    portal_csrf_field (b, csrf);
    g_string_append (b, "<label for=\"file\">Add a file</label><input type=\"file\" id=\"file\" name=\"file\" "
                        "required><button type=\"submit\">Upload</button></form>");
}

//  The form's parts checked (origin, CSRF, one file); the file part, or NULL
//  after answering.
static const part_t *
s_file_part (http_req_t *req, const web_auth_t *who, part_t *parts, int *n)
{
    if (!portal_origin_ok (req, who))
        return NULL;
    *n = s_multipart (http_header (req, "Content-Type"), req->body, req->body_len, parts, MAX_PARTS);
    const part_t *file = NULL;
    char csrf[80] = "";
    for (int i = 0; i < *n; i++) {
        if (!strcmp (parts[i].name, "csrf") && parts[i].len < sizeof csrf)
            snprintf (csrf, sizeof csrf, "%.*s", (int) parts[i].len, parts[i].data);
        else if (!strcmp (parts[i].name, "file"))
            file = &parts[i];
    }
    if (*n < 0 || !web_csrf_ok (req, (const web_session_t *) who, csrf)) {
        portal_message_page (req, 403, "Form expired", who,
                             "This form has expired or could not be read. Please load the page again "
                             "and send it once more.");
        return NULL;
    }
    if (!file || !file->filename[0] || !file->len) {
        portal_message_page (req, 422, "No file", who, "Please choose a file that is not empty.");
        return NULL;
    }
    return file;
}

void
portal_attach_post (http_req_t *req, const web_auth_t *who, const char *id)
{
    if (req->body_len > (size_t) req->cfg->max_attachment_bytes + 65536) {
        portal_message_page (req, 413, "File too large", who, "This file is larger than the Service Desk accepts.");
        return;
    }
    int owns = web_owns (req, who, id);
    if (owns <= 0) {
        portal_message_page (req, owns < 0 ? 503 : 404, owns < 0 ? "Unavailable" : "Not found", who,
                             owns < 0 ? "Please try again later." : "There is no such request among yours.");
        return;
    }
    part_t parts[MAX_PARTS];
    int n = 0;
    const part_t *file = s_file_part (req, who, parts, &n);
    if (!file)
        return;
    const char *err = web_attach_check (req->cfg, file->type, file->filename, file->len);
    if (err) {
        portal_message_page (req, !strcmp (err, "size") ? 413 : 415, "File not accepted", who,
                             !strcmp (err, "size") ? "This file is larger than the Service Desk accepts."
                             : !strcmp (err, "folder") ? "Files cannot be added here at the moment."
                                                       : "Files of this type cannot be added. Pictures, PDF, "
                                                         "text and office documents can.");
        return;
    }
    char type[128];
    web_attach_media_type (file->type, type, sizeof type);
    int rc = web_attach_add (req, who, id, file->filename, type, file->data, file->len, NULL);
    if (rc == 0 || rc == 1) {
        char loc[128];
        snprintf (loc, sizeof loc, "/tickets/%s?attached=1", id);
        portal_redirect (req, loc);
    }
    else if (rc == 2)
        portal_message_page (req, 404, "Not found", who, "There is no such request among yours.");
    else
        portal_message_page (req, rc < 0 ? 503 : 409, "File not added", who,
                             rc < 0 ? "The file could not be stored. Please try again later."
                                    : "Files can no longer be added to this request.");
}
