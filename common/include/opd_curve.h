/*  opd_curve: ZeroMQ CURVE keys (the `curve` block of the configuration)
    and the one reader of certificate files that every opdesk program and
    adapter shares.

    A certificate file is the text czmq's zcert_save writes (and pyzmq's
    zmq.auth.create_certificates): a ZPL document with a `metadata` section
    (opdesk reads `name`) and a `curve` section holding `public-key` and, in
    the secret file, `secret-key`, each as 40 characters of Z85. The reader
    is plain C and libzmq, without czmq, because opdesk-mailgate links no
    czmq; the server side (zauth, in opdesk-intake) uses czmq.

    Every value here is plain data (no pointers), so an opd_curve_t may be
    copied by assignment; opd_curve_wipe clears the secrets it holds. */
#ifndef OPD_CURVE_H_INCLUDED
#define OPD_CURVE_H_INCLUDED
#include <stdbool.h>
#include <stddef.h>

//  A key as Z85 text: 40 characters and the terminating NUL.
#define OPD_CURVE_KEY_SIZE 41
//  The longest key name (metadata `name`, or the file name before its first dot).
#define OPD_CURVE_NAME_MAX 64

typedef struct {
    char public_key[OPD_CURVE_KEY_SIZE];
    char secret_key[OPD_CURVE_KEY_SIZE];  //  "" in a public certificate
    char name[OPD_CURVE_NAME_MAX + 1];    //  metadata `name`, "" when absent or not a valid name
} opd_cert_t;

//  Reads the certificate at path. With need_secret the file must hold a
//  secret key that belongs to its public key. Returns 0, or -1 with one
//  line in err saying what is wrong with the file (the caller adds the
//  configuration key). A secret file that others than its owner may read is
//  accepted with a warning in the log.
int opd_cert_load (const char *path, bool need_secret, opd_cert_t *cert, char *err, size_t errlen);

//  The name an allow-listed client key goes by: its metadata `name`, else
//  file_name up to its first dot ("web.key" -> "web"). Writes "" when
//  neither is a valid name.
void opd_cert_key_name (const opd_cert_t *cert, const char *file_name, char *out, size_t size);

//  Key names: [A-Za-z0-9_.@-], 1 to OPD_CURVE_NAME_MAX characters.
bool opd_curve_name_valid (const char *name);

//  The keys of a deployment, from the configuration (opd_config.c).
typedef struct {
    bool enabled;                                //  a `curve` block is configured
    char server_public[OPD_CURVE_KEY_SIZE];      //  curve.server_public_file
    char server_secret[OPD_CURVE_KEY_SIZE];      //  curve.server_secret_file; "" when not configured
    char client_public[OPD_CURVE_KEY_SIZE];      //  curve.client_secret_file
    char client_secret[OPD_CURVE_KEY_SIZE];
} opd_curve_t;

//  Makes sock (a libzmq socket, before it connects) a CURVE client of the
//  server with the deployment's client key pair. Does nothing when curve is
//  NULL or not enabled. Returns 0, or -1 (logged) when libzmq refused.
int opd_curve_client (void *sock, const opd_curve_t *curve);

//  True when a and b are the same setting (both off, or the same keys).
bool opd_curve_same (const opd_curve_t *a, const opd_curve_t *b);

//  Clears the secret keys (before the memory is freed).
void opd_curve_wipe (opd_curve_t *curve);
#endif
