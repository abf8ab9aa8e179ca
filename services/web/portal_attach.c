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
#include "multipart.h"
#include "opd_blob.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_PARTS 4

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
static const web_part_t *
s_file_part (http_req_t *req, const web_auth_t *who, web_part_t *parts, int *n)
{
    if (!portal_origin_ok (req, who))
        return NULL;
    *n = web_multipart (http_header (req, "Content-Type"), req->body, req->body_len, parts, MAX_PARTS);
    const web_part_t *file = NULL;
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
    web_part_t parts[MAX_PARTS];
    int n = 0;
    const web_part_t *file = s_file_part (req, who, parts, &n);
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
