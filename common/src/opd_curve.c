/*  opd_curve: see opd_curve.h. Plain C and libzmq: opdesk-mailgate links
    this without czmq. */
#include "opd_curve.h"
#include "opd_log.h"
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

//  A certificate is a few hundred bytes; anything far larger is not one.
#define CERT_MAX_BYTES 65536
#define LINE_MAX_BYTES 1024

static bool
s_key_valid (const char *z85)
{
    uint8_t bin[32];
    return strlen (z85) == 40 && zmq_z85_decode (bin, z85) != NULL;
}

bool
opd_curve_name_valid (const char *name)
{
    size_t n = strlen (name);
    return n >= 1 && n <= OPD_CURVE_NAME_MAX
           && strspn (name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@-") == n;
}

//  A ZPL value: "quoted", 'quoted', or bare up to white space or '#'.
//  False when it does not fit in size or a quote is not closed.
static bool
s_zpl_value (const char *p, char *out, size_t size)
{
    size_t n;
    if (*p == '"' || *p == '\'') {
        const char *end = strchr (p + 1, *p);
        if (!end)
            return false;
        p++;
        n = (size_t) (end - p);
    }
    else
        n = strcspn (p, " \t#\r\n");
    if (n >= size)
        return false;
    memcpy (out, p, n);
    out[n] = 0;
    return true;
}

//  One line of the document inside section: a section name at indent 0,
//  or `name = value` one level (4 spaces) in. Deeper levels and comments
//  are skipped. Returns false for a line that is not ZPL.
static bool
s_zpl_line (const char *line, char *section, size_t section_size, opd_cert_t *cert)
{
    size_t indent = strspn (line, " ");
    const char *p = line + indent;
    if (!*p || *p == '#' || *p == '\n' || *p == '\r')
        return true;
    size_t n = strcspn (p, " \t=#\r\n");
    if (n == 0)
        return false;
    if (indent == 0) {
        snprintf (section, section_size, "%.*s", (int) n, p);
        return true;
    }
    if (indent != 4)
        return true;
    char name[32];
    snprintf (name, sizeof name, "%.*s", (int) n, p);
    p += n;
    p += strspn (p, " \t");
    if (*p != '=')
        return true;  //  a subsection: nothing opdesk reads
    p++;
    p += strspn (p, " \t");
    char *dest = NULL;
    size_t size = 0;
    if (!strcmp (section, "curve") && !strcmp (name, "public-key"))
        dest = cert->public_key, size = sizeof cert->public_key;
    else if (!strcmp (section, "curve") && !strcmp (name, "secret-key"))
        dest = cert->secret_key, size = sizeof cert->secret_key;
    else if (!strcmp (section, "metadata") && !strcmp (name, "name"))
        dest = cert->name, size = sizeof cert->name;
    if (!dest)
        return true;
    if (!s_zpl_value (p, dest, size))
        snprintf (dest, size, "?");  //  too long or unclosed: not a key, not a name
    return true;
}

//  Checks what the file said; returns NULL or the problem.
static const char *
s_check (opd_cert_t *cert, bool need_secret)
{
    if (!cert->public_key[0])
        return "holds no curve public-key";
    if (!s_key_valid (cert->public_key))
        return "has a public-key that is not 40 characters of Z85";
    if (cert->secret_key[0]) {
        if (!s_key_valid (cert->secret_key))
            return "has a secret-key that is not 40 characters of Z85";
        char derived[OPD_CURVE_KEY_SIZE];
        if (zmq_curve_public (derived, cert->secret_key) || strcmp (derived, cert->public_key))
            return "has a secret-key that does not belong to its public-key";
    }
    else if (need_secret)
        return "holds no secret-key (name the secret certificate, NAME.key_secret)";
    if (cert->name[0] && !opd_curve_name_valid (cert->name))
        cert->name[0] = 0;
    return NULL;
}

int
opd_cert_load (const char *path, bool need_secret, opd_cert_t *cert, char *err, size_t errlen)
{
    memset (cert, 0, sizeof *cert);
    FILE *f = fopen (path, "r");
    if (!f) {
        snprintf (err, errlen, "cannot read '%s': %s", path, strerror (errno));
        return -1;
    }
    struct stat st;
    const char *problem = NULL;
    if (fstat (fileno (f), &st) || !S_ISREG (st.st_mode))
        problem = "is not a file";
    else if (st.st_size > CERT_MAX_BYTES)
        problem = "is too large to be a certificate";
    char line[LINE_MAX_BYTES], section[32] = "";
    while (!problem && fgets (line, sizeof line, f)) {
        if (!strchr (line, '\n') && !feof (f))
            problem = "has a line too long for a certificate";
        else if (!s_zpl_line (line, section, sizeof section, cert))
            problem = "is not a certificate (ZPL text as zcert_save writes it)";
    }
    //  The buffer held the secret key: leave no copy behind.
    explicit_bzero (line, sizeof line);
    fclose (f);
    if (!problem)
        problem = s_check (cert, need_secret);
    if (problem) {
        explicit_bzero (cert, sizeof *cert);
        snprintf (err, errlen, "'%s' %s", path, problem);
        return -1;
    }
    if (cert->secret_key[0] && (st.st_mode & 077))
        opd_warn ("curve secret key file is readable by others path=%s mode=%03o (chmod 600 it)", path,
                  (unsigned) (st.st_mode & 0777));
    return 0;
}

void
opd_cert_key_name (const opd_cert_t *cert, const char *file_name, char *out, size_t size)
{
    if (cert->name[0] && opd_curve_name_valid (cert->name)) {
        snprintf (out, size, "%s", cert->name);
        return;
    }
    char stem[OPD_CURVE_NAME_MAX + 2];
    snprintf (stem, sizeof stem, "%.*s", (int) strcspn (file_name, "."), file_name);
    snprintf (out, size, "%s", opd_curve_name_valid (stem) ? stem : "");
}

int
opd_curve_client (void *sock, const opd_curve_t *curve)
{
    if (!curve || !curve->enabled)
        return 0;
    if (zmq_setsockopt (sock, ZMQ_CURVE_SERVERKEY, curve->server_public, 40)
        || zmq_setsockopt (sock, ZMQ_CURVE_PUBLICKEY, curve->client_public, 40)
        || zmq_setsockopt (sock, ZMQ_CURVE_SECRETKEY, curve->client_secret, 40)) {
        opd_error ("cannot set the CURVE keys of a socket: %s", zmq_strerror (zmq_errno ()));
        return -1;
    }
    return 0;
}

bool
opd_curve_same (const opd_curve_t *a, const opd_curve_t *b)
{
    if (a->enabled != b->enabled)
        return false;
    return !a->enabled
           || (!strcmp (a->server_public, b->server_public) && !strcmp (a->server_secret, b->server_secret)
               && !strcmp (a->client_public, b->client_public)
               && !strcmp (a->client_secret, b->client_secret));
}

void
opd_curve_wipe (opd_curve_t *curve)
{
    explicit_bzero (curve, sizeof *curve);
}
