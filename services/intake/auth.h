/*  auth: ZeroMQ CURVE on intake's two server sockets (the intake ROUTER and
    the events PUB), when the configuration has a `curve` block.

    It starts czmq's zauth actor, which answers libzmq's ZAP requests for
    every socket of the process: a client whose public key is not in
    curve.clients_dir is refused during the handshake. zauth must run before
    any server socket is bound: a CURVE server without a ZAP handler accepts
    every client key. auth_t also knows the name of each allow-listed key
    (the certificate's metadata `name`, else its file name up to the first
    dot), which intake records as the ticket's submitter.

    Threads: auth_new, auth_reload and auth_name belong to intake's main
    thread; auth_server may be called from any thread (it only sets socket
    options). */
#ifndef OPD_INTAKE_AUTH_H_INCLUDED
#define OPD_INTAKE_AUTH_H_INCLUDED
#include "opd_config.h"
#include <czmq.h>

typedef struct _auth_t auth_t;

//  Starts zauth with the allow-list of cfg (which must have curve with the
//  server key pair and clients_dir; else NULL with the key named in the
//  log). Call before binding any socket.
auth_t *auth_new (const opd_config_t *cfg);
//  Stops zauth; safe to call twice, nulls *self_p.
void auth_destroy (auth_t **self_p);
//  Re-reads the allow-list and the key names (SIGHUP), from cfg's
//  curve.clients_dir. The server keys of the sockets stay as they were bound.
void auth_reload (auth_t *self, const opd_config_t *cfg);
//  The name of the client key whose Z85 public key user_id (a message's
//  "User-Id" property, set by zauth) is; re-reads the folder at most once a
//  second for a key it does not know (added since). NULL when the key is
//  not, or no longer, in the folder.
const char *auth_name (auth_t *self, const char *user_id);

//  Makes sock a CURVE server with curve's server key pair (before bind).
//  Does nothing when curve is not enabled. Returns 0, or -1 (logged).
int auth_server (zsock_t *sock, const opd_curve_t *curve);

//  --- Refused clients, in the log ----------------------------------------
//  zauth logs refusals only when verbose; a watch tells the operator
//  without that: one warn line at the first refusal, then at most one line
//  every 10 s per socket with the count since (libzmq's socket monitor
//  gives no peer address for a bound socket, and keys are not logged).
typedef struct _auth_watch_t auth_watch_t;

//  Watches sock (a CURVE server, from the thread that owns it) for clients
//  refused during the handshake; what names it in the log ("intake").
//  NULL when curve is not enabled or the monitor cannot be set up (logged).
auth_watch_t *auth_watch_new (zsock_t *sock, const char *what, const opd_curve_t *curve);
//  Safe to call twice; nulls *self_p.
void auth_watch_destroy (auth_watch_t **self_p);
//  The libzmq socket to poll for refusals (ZMQ_POLLIN), or NULL for a NULL watch.
void *auth_watch_socket (auth_watch_t *self);
//  Takes every refusal waiting, without blocking, and logs as above.
void auth_watch_read (auth_watch_t *self);
#endif
