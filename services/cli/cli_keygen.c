/*  cli_keygen: `opdesk keygen NAME [--dir DIR]`, a CURVE key pair for an
    adapter (or for the server, or for opdesk's own clients) as czmq
    certificate files: DIR/NAME.key (public: give it to intake's
    curve.clients_dir) and DIR/NAME.key_secret (readable by its owner only;
    it never leaves the adapter's host). The certificate's metadata `name`
    is NAME, the name intake records as the submitter. Needs no
    configuration. */
#include "cli.h"
#include "opd_curve.h"
#include "opd_util.h"
#include <czmq.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const s_spec[] = {"dir:", NULL};
static const char *s_usage = "opdesk keygen NAME [--dir DIR]";

//  Saves cert as path (public) and path_secret, the secret file mode 0600
//  from the start. Returns 0 or -1 with errno.
static int
s_save (zcert_t *cert, const char *path, const char *secret_path)
{
    mode_t old = umask (077);
    int rc = zcert_save_secret (cert, secret_path);
    umask (old);
    if (rc == 0)
        rc = chmod (secret_path, 0600);
    if (rc == 0)
        rc = zcert_save_public (cert, path);
    return rc;
}

int
cli_keygen (cli_t *c)
{
    if (c->npos != 1) {
        fprintf (stderr, "opdesk keygen: give one NAME\nusage: %s\n", s_usage);
        return CLI_USAGE;
    }
    int rc = cli_check (c, s_spec, 1, s_usage);
    if (rc)
        return rc;
    const char *name = c->pos[0];
    if (!opd_curve_name_valid (name))
        return cli_fail (c, CLI_USAGE, "usage", "NAME '%s' must be 1 to %d of A-Z a-z 0-9 _ . @ -", name,
                         OPD_CURVE_NAME_MAX);
    const char *dir = cli_opt (c, "dir") ? cli_opt (c, "dir") : ".";
    char *path = opd_sprintf ("%s/%s.key", dir, name);
    char *secret_path = opd_sprintf ("%s_secret", path);
    rc = CLI_OK;
    if (!access (path, F_OK) || !access (secret_path, F_OK))
        rc = cli_fail (c, CLI_REFUSED, "conflict", "%s or %s exists already: keys are never overwritten",
                       path, secret_path);
    zcert_t *cert = rc ? NULL : zcert_new ();
    if (cert) {
        zcert_set_meta (cert, "name", "%s", name);
        if (s_save (cert, path, secret_path))
            rc = cli_fail (c, CLI_REFUSED, "invalid", "cannot write %s: %s", secret_path, strerror (errno));
        else if (c->json) {
            json_t *out = json_pack ("{s:s, s:s, s:s, s:s}", "name", name, "public_key",
                                     zcert_public_txt (cert), "public_file", path, "secret_file",
                                     secret_path);
            cli_print_json (out);
        }
        else
            printf ("public key %s\n  %s (public: copy it to intake's curve.clients_dir)\n"
                    "  %s (secret: keep it on this host, mode 0600)\n",
                    zcert_public_txt (cert), path, secret_path);
        zcert_destroy (&cert);
    }
    free (path);
    free (secret_path);
    return rc;
}
