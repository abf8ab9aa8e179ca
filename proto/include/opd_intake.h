/*  opd_intake: the intake protocol of CONTRACT.md section 3.
    intake.submit is decoded and validated as a whole against the
    configuration; the first problem found becomes an intake.rejected with a
    code and one sentence naming the key by its dotted path. */
#ifndef OPD_INTAKE_H_INCLUDED
#define OPD_INTAKE_H_INCLUDED
#include "opd_config.h"
#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    OPD_REJ_NONE = 0,
    OPD_REJ_INVALID,
    OPD_REJ_TOO_LARGE,
    OPD_REJ_UNSUPPORTED_VERSION,
    OPD_REJ_UNAVAILABLE
} opd_reject_code_t;

typedef struct {
    opd_reject_code_t code;
    char key[128];      //  the dotted path of the bad key, "" when none
    char message[512];  //  one sentence
} opd_reject_t;

//  "invalid", "too_large", "unsupported_version", "unavailable".
const char *opd_reject_code_name (opd_reject_code_t code);

//  A validated intake.submit. Strings are owned; optional ones may be NULL.
typedef struct {
    char *channel, *external_id, *reply_to;
    int64_t received_at;
    char *req_name, *req_email, *req_phone;
    char *subject, *body;
    char *kind, *request_type, *priority, *impact, *urgency, *category;
    char *fields_json;       //  JSON object of custom fields, NULL when none
    char *missing_json;      //  JSON array of missing required field names, NULL when none
    char *attachments_json;  //  JSON array of attachment metadata, NULL when none
    bool suppress_ack;       //  an adapter says: no acknowledgement (auto-reply, bounce)
    bool sender_check;       //  a reply_to is attached only when it comes from the ticket's
                             //  requester, a participant or an agent (the email channel)
    char *participants_json; //  JSON array of lower-cased email addresses copied on it, NULL when none
    char *agent;             //  the adapter verified the message is this agent's (an agent id whose
                             //  email is requester.email); NULL: the sender is no agent, whatever
                             //  its address (email channel: a reply token or DMARC, opd_mail_trust.h)
} opd_submit_t;

//  Decodes and validates one frame received at now (ms). Returns 0 and a new
//  *out, or -1 with *rej filled in.
int opd_submit_decode (const char *frame, size_t len, const opd_config_t *cfg, int64_t now,
                       opd_submit_t **out, opd_reject_t *rej);
void opd_submit_destroy (opd_submit_t **self_p);

//  An email's Message-ID is "<id@host>" in its header and "id@host" where
//  GMime (and so opdesk-email) gives it: the decoder drops one pair of
//  enclosing angle brackets from external_id and reply_to, in place, so
//  that either form names the same message. Ids stored before it did may
//  still hold theirs (create.lua looks for both).
void opd_external_id_bare (char *id);

//  Replies, packed into buf (which the caller initialised).
void opd_pack_accepted (msgpack_sbuffer *buf, const char *ticket_id, bool created);
void opd_pack_rejected (msgpack_sbuffer *buf, const opd_reject_t *rej);

//  A decoded reply, for clients (the command-line tool, the adapters, bench).
typedef struct {
    bool accepted;
    bool created;
    char ticket_id[64];
    char code[32];
    char error[512];
    char key[128];      //  a rejection's dotted path of the bad key, "" when none
} opd_intake_reply_t;
//  Returns 0, or -1 when the frame is not a valid reply.
int opd_intake_reply_decode (const char *frame, size_t len, opd_intake_reply_t *out);

//  msgpack packing helpers shared by clients.
void opd_pack_str (msgpack_packer *pk, const char *s);
void opd_pack_kv_str (msgpack_packer *pk, const char *key, const char *value);
void opd_pack_kv_int (msgpack_packer *pk, const char *key, int64_t value);
//  Packs a JSON value as msgpack (objects as maps, null as nil), for the
//  adapters that take JSON (the web API, the command line).
typedef struct json_t json_t;
void opd_pack_json (msgpack_packer *pk, const json_t *v);
#endif
