/*  auth: see auth.h. */
#include "auth.h"
#include "opd_log.h"
#include "opd_util.h"
#include <assert.h>
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

//  A key zauth let in but this map does not know makes it read the folder
//  again, at most this often (a key added since the last SIGHUP).
#define RESCAN_MS 1000

struct _auth_t {
    zactor_t *zauth;
    char *dir;           //  curve.clients_dir as last loaded
    zhashx_t *names;     //  Z85 public key -> key name (char *)
    int64_t scanned_at;  //  opd_mono_ms of the last read of the folder
};

static void
s_free_name (void **item)
{
    free (*item);
    *item = NULL;
}

//  Reads one file of the folder into the map; false when it is skipped.
static bool
s_add (auth_t *self, const char *file)
{
    char *path = opd_sprintf ("%s/%s", self->dir, file);
    struct stat st;
    opd_cert_t cert;
    char err[512], name[OPD_CURVE_NAME_MAX + 1] = "";
    bool added = false;
    if (stat (path, &st) || !S_ISREG (st.st_mode))
        ;  //  subfolders and the like: opdesk reads the files directly in it
    else if (opd_cert_load (path, false, &cert, err, sizeof err))
        opd_warn ("curve.clients_dir: file skipped file=%s reason=\"%s\"", file, err);
    else {
        opd_cert_key_name (&cert, file, name, sizeof name);
        if (cert.secret_key[0])
            opd_warn ("curve.clients_dir holds a secret key file=%s: give intake only public "
                      "certificates, and keep secret keys with their owner", file);
        if (!name[0])
            opd_warn ("curve.clients_dir: file skipped file=%s reason=\"no metadata name and the "
                      "file name is not a key name ([A-Za-z0-9_.@-])\"", file);
        else if (zhashx_lookup (self->names, cert.public_key))
            opd_warn ("curve.clients_dir: the same key twice file=%s name=%s (the first name stays)",
                      file, name);
        else {
            zhashx_insert (self->names, cert.public_key, opd_strdup (name));
            added = true;
        }
    }
    explicit_bzero (&cert, sizeof cert);
    free (path);
    return added;
}

//  (Re)reads every certificate directly in the folder.
static void
s_scan (auth_t *self)
{
    zhashx_purge (self->names);
    self->scanned_at = opd_mono_ms ();
    DIR *d = opendir (self->dir);
    if (!d) {
        opd_error ("cannot read curve.clients_dir path=%s: every client is refused", self->dir);
        return;
    }
    size_t n = 0;
    for (struct dirent *e = readdir (d); e; e = readdir (d))
        if (e->d_name[0] != '.' && s_add (self, e->d_name))
            n++;
    closedir (d);
    opd_info ("curve allow-list read keys=%zu dir=%s", n, self->dir);
}

auth_t *
auth_new (const opd_config_t *cfg)
{
    assert (cfg->curve.enabled);
    if (!cfg->curve.server_secret[0] || !cfg->curve_clients_dir) {
        opd_error ("curve.server_secret_file: opdesk-intake needs the server's key pair and "
                   "curve.clients_dir to serve CURVE");
        return NULL;
    }
    auth_t *self = opd_calloc (1, sizeof *self);
    self->names = zhashx_new ();
    zhashx_set_destructor (self->names, s_free_name);
    self->zauth = zactor_new (zauth, NULL);
    if (!self->zauth) {
        opd_error ("cannot start zauth, the CURVE authenticator");
        auth_destroy (&self);
        return NULL;
    }
    if (!strcmp (cfg->log_level, "debug")) {
        zstr_send (self->zauth, "VERBOSE");
        zsock_wait (self->zauth);
    }
    auth_reload (self, cfg);
    return self;
}

void
auth_destroy (auth_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    auth_t *self = *self_p;
    zactor_destroy (&self->zauth);
    zhashx_destroy (&self->names);
    free (self->dir);
    free (self);
    *self_p = NULL;
}

void
auth_reload (auth_t *self, const opd_config_t *cfg)
{
    if (!cfg->curve_clients_dir) {
        opd_warn ("curve.clients_dir is gone from the configuration: the allow-list stays as it was "
                  "until a restart");
        return;
    }
    free (self->dir);
    self->dir = opd_strdup (cfg->curve_clients_dir);
    //  zauth reads the folder itself (czmq's zcertstore): one allow-list,
    //  two readers that both take every certificate directly in it.
    zstr_sendx (self->zauth, "CURVE", self->dir, NULL);
    zsock_wait (self->zauth);
    s_scan (self);
    if (cfg->curve.enabled && !zhashx_lookup (self->names, cfg->curve.client_public))
        opd_warn ("the key of curve.client_secret_file is not in curve.clients_dir: opdesk's own "
                  "services and adapters will be refused");
}

const char *
auth_name (auth_t *self, const char *user_id)
{
    if (!user_id || !*user_id)
        return NULL;
    const char *name = zhashx_lookup (self->names, user_id);
    if (!name && opd_mono_ms () - self->scanned_at >= RESCAN_MS) {
        s_scan (self);
        name = zhashx_lookup (self->names, user_id);
    }
    return name;
}

int
auth_server (zsock_t *sock, const opd_curve_t *curve)
{
    if (!curve->enabled)
        return 0;
    void *s = zsock_resolve (sock);
    int one = 1;
    if (zmq_setsockopt (s, ZMQ_CURVE_SERVER, &one, sizeof one)
        || zmq_setsockopt (s, ZMQ_CURVE_SECRETKEY, curve->server_secret, 40)) {
        opd_error ("cannot make a CURVE server socket: %s", zmq_strerror (zmq_errno ()));
        return -1;
    }
    return 0;
}

//  --- Refused clients -------------------------------------------------------

#define WATCH_LOG_MS 10000

struct _auth_watch_t {
    zsock_t *pair;       //  connected to the monitor of the watched socket
    char what[16];
    int64_t logged_at;   //  opd_mono_ms of the last line
    long auth, other;    //  refusals not logged yet: by zauth, and all others
};

auth_watch_t *
auth_watch_new (zsock_t *sock, const char *what, const opd_curve_t *curve)
{
    if (!curve->enabled)
        return NULL;
    //  A fresh endpoint each time: a closed socket's monitor endpoint is
    //  released later, by libzmq's reaper.
    static int seq;
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "inproc://opdesk-auth-watch-%s-%d", what,
              __atomic_fetch_add (&seq, 1, __ATOMIC_RELAXED));
    int events = ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                 | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
    zsock_t *pair = NULL;
    if (zmq_socket_monitor (zsock_resolve (sock), endpoint, events) == 0)
        pair = zsock_new_pair (endpoint);  //  ">": connects
    if (!pair) {
        opd_warn ("refused clients of socket=%s will not be logged: %s", what, zmq_strerror (zmq_errno ()));
        return NULL;
    }
    auth_watch_t *self = opd_calloc (1, sizeof *self);
    self->pair = pair;
    snprintf (self->what, sizeof self->what, "%s", what);
    self->logged_at = opd_mono_ms () - WATCH_LOG_MS;
    return self;
}

void
auth_watch_destroy (auth_watch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zsock_destroy (&(*self_p)->pair);
    free (*self_p);
    *self_p = NULL;
}

void *
auth_watch_socket (auth_watch_t *self)
{
    return self ? zsock_resolve (self->pair) : NULL;
}

void
auth_watch_read (auth_watch_t *self)
{
    if (!self)
        return;
    void *s = zsock_resolve (self->pair);
    zmq_msg_t part;
    zmq_msg_init (&part);
    //  Each event is [uint16 event, uint32 value][endpoint].
    while (zmq_msg_recv (&part, s, ZMQ_DONTWAIT) >= 0) {
        uint16_t event = 0;
        if (zmq_msg_size (&part) >= 2)
            memcpy (&event, zmq_msg_data (&part), 2);
        if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
            self->auth++;
        else
            self->other++;
        while (zmq_msg_more (&part) && zmq_msg_recv (&part, s, 0) >= 0)
            ;
    }
    zmq_msg_close (&part);
    if ((self->auth || self->other) && opd_mono_ms () - self->logged_at >= WATCH_LOG_MS) {
        opd_warn ("curve refused clients socket=%s key_not_allowed=%ld no_curve_or_wrong_server_key=%ld",
                  self->what, self->auth, self->other);
        self->auth = self->other = 0;
        self->logged_at = opd_mono_ms ();
    }
}
