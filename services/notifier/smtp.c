/*  smtp: see smtp.h. */
#include "smtp.h"
#include "opd_util.h"
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _smtp_t {
    CURL *curl;
    char *url, *username, *password;
    long timeout_ms;
    char error[256];
};

typedef struct {
    const char *data;
    size_t size, pos;
} upload_t;

static size_t
s_read (char *buf, size_t size, size_t nitems, void *arg)
{
    upload_t *u = arg;
    size_t room = size * nitems, left = u->size - u->pos;
    size_t n = left < room ? left : room;
    memcpy (buf, u->data + u->pos, n);
    u->pos += n;
    return n;
}

smtp_t *
smtp_new (const opd_config_t *cfg)
{
    smtp_t *self = opd_calloc (1, sizeof *self);
    self->url = opd_strdup (cfg->smtp_url);
    self->username = cfg->smtp_username ? opd_strdup (cfg->smtp_username) : NULL;
    self->password = cfg->smtp_password ? opd_strdup (cfg->smtp_password) : NULL;
    self->timeout_ms = (long) cfg->smtp_timeout_ms;
    return self;
}

void
smtp_destroy (smtp_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    smtp_t *self = *self_p;
    if (self->curl)
        curl_easy_cleanup (self->curl);
    free (self->url);
    free (self->username);
    free (self->password);
    free (self);
    *self_p = NULL;
}

int
smtp_send (smtp_t *self, const char *from, const char *to, const char *data, size_t size)
{
    if (!self->curl) {
        self->curl = curl_easy_init ();
        if (!self->curl) {
            snprintf (self->error, sizeof self->error, "curl_easy_init failed");
            return -1;
        }
    }
    CURL *c = self->curl;
    //  Options set on every call: curl_easy_reset is not used, so that the
    //  handle keeps its connection cache.
    char *mail_from = opd_sprintf ("<%s>", from);
    char *rcpt_to = opd_sprintf ("<%s>", to);
    struct curl_slist *rcpt = curl_slist_append (NULL, rcpt_to);
    upload_t u = {data, size, 0};
    curl_easy_setopt (c, CURLOPT_URL, self->url);
    curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (c, CURLOPT_TIMEOUT_MS, self->timeout_ms);
    curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT_MS, self->timeout_ms);
    if (self->username) {
        curl_easy_setopt (c, CURLOPT_USERNAME, self->username);
        curl_easy_setopt (c, CURLOPT_PASSWORD, self->password ? self->password : "");
        //  Credentials: use STARTTLS on smtp:// when the server offers it.
        curl_easy_setopt (c, CURLOPT_USE_SSL, (long) CURLUSESSL_TRY);
    }
    curl_easy_setopt (c, CURLOPT_MAIL_FROM, mail_from);
    curl_easy_setopt (c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt (c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt (c, CURLOPT_READFUNCTION, s_read);
    curl_easy_setopt (c, CURLOPT_READDATA, &u);
    curl_easy_setopt (c, CURLOPT_INFILESIZE_LARGE, (curl_off_t) size);
    CURLcode rc = curl_easy_perform (c);
    long code = 0;
    curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &code);
    //  The handle must not keep pointers to what is freed here.
    curl_easy_setopt (c, CURLOPT_MAIL_RCPT, NULL);
    curl_easy_setopt (c, CURLOPT_READDATA, NULL);
    curl_slist_free_all (rcpt);
    free (mail_from);
    free (rcpt_to);
    if (rc != CURLE_OK) {
        snprintf (self->error, sizeof self->error, "%s (reply %ld)", curl_easy_strerror (rc), code);
        return -1;
    }
    return 0;
}

const char *
smtp_error (smtp_t *self)
{
    return self->error;
}
