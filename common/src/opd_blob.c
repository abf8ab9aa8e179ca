/*  opd_blob: content-addressed attachment bodies on a volume (opd_blob.h). */
#include "opd_blob.h"
#include "opd_log.h"
#include "opd_util.h"
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
opd_blob_sha256 (const void *data, size_t len, char out[65])
{
    char *hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) (data ? data : ""), len);
    snprintf (out, 65, "%s", hex);
    g_free (hex);
}

bool
opd_blob_name_valid (const char *s)
{
    if (!s || strlen (s) != 64)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

char *
opd_blob_path (const char *dir, const char *sha256)
{
    return opd_blob_name_valid (sha256) ? opd_sprintf ("%s/%s", dir, sha256) : NULL;
}

//  Writes all of data to a new file tmp, synced. Returns 0 or -1 (errno).
static int
s_write_all (const char *tmp, const unsigned char *data, size_t len)
{
    int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC, 0640);
    if (fd < 0)
        return -1;
    bool ok = true;
    size_t off = 0;
    while (ok && off < len) {
        ssize_t n = write (fd, data + off, len - off);
        if (n <= 0)
            ok = false;
        else
            off += (size_t) n;
    }
    if (fsync (fd))
        ok = false;
    if (close (fd))
        ok = false;
    return ok ? 0 : -1;
}

int
opd_blob_put (const char *dir, const char *sha256, const void *data, size_t len)
{
    char *path = opd_blob_path (dir, sha256);
    if (!path)
        return -1;
    if (mkdir (dir, 0750) && errno != EEXIST) {
        opd_error ("cannot create the attachments folder: %s", strerror (errno));
        free (path);
        return -1;
    }
    struct stat st;
    if (stat (path, &st) == 0 && (size_t) st.st_size == len) {
        free (path);
        return 0;
    }
    //  A random part: two threads (or processes) may store the same body at once.
    char rnd[17];
    opd_random_hex (rnd, 8);
    char *tmp = opd_sprintf ("%s/.%s.%s.tmp", dir, sha256, rnd);
    int rc = s_write_all (tmp, data, len);
    if (rc == 0 && rename (tmp, path))
        rc = -1;
    if (rc) {
        opd_error ("cannot store an attachment sha256=%s: %s", sha256, strerror (errno));
        unlink (tmp);
    }
    free (tmp);
    free (path);
    return rc;
}
