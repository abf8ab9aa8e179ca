/*  bench-mime: MIME parsing alone, messages per second (opd_mail_parse over
    a folder of messages, by default tests/mail/), no Redis and no intake.

        bench-mime [--seconds N] [DIR]      parse every *.eml of DIR in a loop
        bench-mime --dump FILE              print what the parser made of FILE (JSON) */
#include "opd_mail.h"
#include "opd_util.h"
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
s_slurp (const char *path, size_t *len)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return NULL;
    fseek (f, 0, SEEK_END);
    long n = ftell (f);
    fseek (f, 0, SEEK_SET);
    char *buf = malloc ((size_t) n + 1);
    if (buf && fread (buf, 1, (size_t) n, f) != (size_t) n) {
        free (buf);
        buf = NULL;
    }
    fclose (f);
    *len = (size_t) n;
    return buf;
}

static int
s_dump (const char *path)
{
    size_t len;
    char *data = s_slurp (path, &len);
    if (!data) {
        fprintf (stderr, "bench-mime: cannot read %s\n", path);
        return 1;
    }
    opd_mail_t *m = NULL;
    json_t *j = json_object ();
    if (opd_mail_parse (data, len, &m)) {
        json_object_set_new (j, "not_mail", json_true ());
    }
    else {
        json_object_set_new (j, "external_id", json_string (m->external_id));
        json_object_set_new (j, "from_name", m->from_name ? json_string (m->from_name) : json_null ());
        json_object_set_new (j, "from_email", json_string (m->from_email));
        json_object_set_new (j, "subject", json_string (m->subject));
        json_object_set_new (j, "body", json_string (m->body));
        json_t *a = json_array ();
        for (size_t i = 0; i < m->nrefs; i++)
            json_array_append_new (a, json_string (m->refs[i]));
        json_object_set_new (j, "refs", a);
        a = json_array ();
        for (size_t i = 0; i < m->ncc; i++)
            json_array_append_new (a, json_string (m->cc[i]));
        json_object_set_new (j, "cc", a);
        a = json_array ();
        for (size_t i = 0; i < m->natt; i++)
            json_array_append_new (a, json_pack ("{s:s,s:s,s:I,s:s}", "name", m->att[i].name, "content_type",
                                                 m->att[i].content_type, "size", (json_int_t) m->att[i].size,
                                                 "sha256", m->att[i].sha256));
        json_object_set_new (j, "attachments", a);
        json_object_set_new (j, "auto_submitted", json_boolean (m->auto_submitted));
        json_object_set_new (j, "bulk", json_boolean (m->bulk));
        json_object_set_new (j, "from_daemon", json_boolean (m->from_daemon));
        json_object_set_new (j, "dsn", json_boolean (m->dsn));
        json_object_set_new (j, "html_only", json_boolean (m->html_only));
        json_object_set_new (j, "dsn_original", m->dsn_original ? json_string (m->dsn_original) : json_null ());
        opd_mail_destroy (&m);
    }
    char *text = json_dumps (j, JSON_INDENT (1));
    puts (text);
    free (text);
    json_decref (j);
    free (data);
    return 0;
}

int
main (int argc, char **argv)
{
    double seconds = 3;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp (argv[i], "--dump") && i + 1 < argc)
            return s_dump (argv[i + 1]);
        else if (!strcmp (argv[i], "--seconds") && i + 1 < argc)
            seconds = atof (argv[++i]);
        else
            dir = argv[i];
    }
    if (!dir) {
        const char *src = getenv ("OPDESK_SOURCE");
        static char path[4096];
        snprintf (path, sizeof path, "%s/tests/mail", src ? src : ".");
        dir = path;
    }
    char *msgs[1024];
    size_t lens[1024], n = 0, bytes = 0;
    DIR *d = opendir (dir);
    if (!d) {
        fprintf (stderr, "bench-mime: cannot open %s\n", dir);
        return 1;
    }
    struct dirent *e;
    while ((e = readdir (d)) && n < 1024) {
        size_t l = strlen (e->d_name);
        if (l < 5 || strcmp (e->d_name + l - 4, ".eml"))
            continue;
        char path[8192];
        snprintf (path, sizeof path, "%s/%s", dir, e->d_name);
        if ((msgs[n] = s_slurp (path, &lens[n]))) {
            bytes += lens[n];
            n++;
        }
    }
    closedir (d);
    if (!n) {
        fprintf (stderr, "bench-mime: no .eml files in %s\n", dir);
        return 1;
    }
    long done = 0;
    int64_t start = opd_mono_ms (), end = start + (int64_t) (seconds * 1000);
    while (opd_mono_ms () < end) {
        for (size_t i = 0; i < n; i++) {
            opd_mail_t *m = NULL;
            opd_mail_parse (msgs[i], lens[i], &m);
            opd_mail_destroy (&m);
        }
        done += (long) n;
    }
    double secs = (double) (opd_mono_ms () - start) / 1000.0;
    printf ("bench-mime: %zu messages (%zu bytes, mean %zu), %ld parsed in %.2f s: %.0f messages/s, %.1f MB/s\n",
            n, bytes, bytes / n, done, secs, done / secs, (double) bytes * ((double) done / n) / secs / 1e6);
    for (size_t i = 0; i < n; i++)
        free (msgs[i]);
    return 0;
}
