/*  Generated from proto/schema.yaml by proto/gen.py. Do not edit: edit the schema and run the generator.

    opd_submit_msg: intake.submit as a sender writes it (CONTRACT.md section 3).
    Every adapter of opdesk packs its requests with opd_submit_msg_pack, so the
    message is defined once; intake decodes and validates it (opd_intake.h). */
#ifndef OPD_SUBMIT_MSG_H_INCLUDED
#define OPD_SUBMIT_MSG_H_INCLUDED
#include <jansson.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Unset members (NULL, 0, false) are not sent.
typedef struct {
    //  web, email, phone, api or your adapter's name
    const char *channel;
    //  your id of this message, at most 998 bytes. (channel, external_id) is the idempotency
    //  key; one pair of enclosing angle brackets is dropped (an email's Message-ID is the
    //  same with or without them)
    const char *external_id;
    //  when your channel received it; SLO clocks start here; at most 5 minutes in the future
    int64_t received_at;
    //  name (at most 200 characters), email, phone (E.164); at least one of email, phone
    struct {
        const char *name, *email, *phone;
    } requester;
    //  1 to 500 characters
    const char *subject;
    //  at most limits.body_bytes bytes (default 1 MiB)
    const char *body;
    //  incident or service_request (default: service_request with a request_type, else
    //  incident)
    const char *kind;
    //  a configured request type's id
    const char *request_type;
    //  the request type's custom fields
    const json_t *fields;
    //  P1..P4
    const char *priority;
    //  high, medium, low: both given and no priority -> the configured matrix decides
    const char *impact;
    //  high, medium, low: both given and no priority -> the configured matrix decides
    const char *urgency;
    //  a path of the configured taxonomy (network/vpn)
    const char *category;
    //  a ticket id or an earlier external_id: the message becomes a requester comment on that
    //  ticket
    const char *reply_to;
    //  up to 100 maps of name (required), content_type, size, sha256 (hex digits, any case,
    //  kept in lower case; a SHA-256 is 64)
    const json_t *attachments;
    //  true for auto-replies and bounces, so no acknowledgement is sent
    bool suppress_ack;
    //  (email channel): with reply_to, attach the message only when requester.email is the
    //  ticket's requester, one of its participants, or a configured agent; from anyone else
    //  it opens a new ticket whose linked_to is the ticket it named
    bool sender_check;
    //  up to 50 email addresses copied on the message (its Cc); stored lower-cased on a new
    //  ticket as participants, and allowed to reply under sender_check
    const char *const *participants;
    size_t participants_count;
    //  (email channel): the adapter verified that the message is this agent's (an agents[].id
    //  whose email is requester.email; else invalid, key agent): with reply_to it becomes
    //  that agent's public comment, authored by the agent id. Without it a sender is never an
    //  agent, whatever its address. The mail adapters set it only for mail opd_mail_trust
    //  believes (docs/email.md)
    const char *agent;
} opd_submit_msg_t;

//  Packs the message into buf (which the caller initialised). Returns -1,
//  packing nothing, when a required string is missing (a map that is
//  required, the requester, is sent even when empty, for intake to refuse).
int opd_submit_msg_pack (const opd_submit_msg_t *m, msgpack_sbuffer *buf);

#endif
