/*  Generated from proto/schema.yaml by proto/gen.py. Do not edit: edit the schema and run the generator. */
#include "opd_submit_msg.h"
#include "opd_intake.h"

static void
s_pack_kv_bool (msgpack_packer *pk, const char *key)
{
    opd_pack_str (pk, key);
    msgpack_pack_true (pk);
}

static bool
s_has (const opd_submit_msg_t *m, int i)
{
    switch (i) {
    case 0: return m->channel;
    case 1: return m->external_id;
    case 2: return m->received_at != 0;
    case 3: return true;  //  sent even when empty: intake says what is missing
    case 4: return m->subject;
    case 5: return m->body;
    case 6: return m->kind;
    case 7: return m->request_type;
    case 8: return m->fields;
    case 9: return m->priority;
    case 10: return m->impact;
    case 11: return m->urgency;
    case 12: return m->category;
    case 13: return m->reply_to;
    case 14: return m->attachments;
    case 15: return m->suppress_ack;
    case 16: return m->sender_check;
    case 17: return m->participants_count > 0;
    case 18: return m->agent;
    default: return false;
    }
}

static void
s_pack_requester (msgpack_packer *pk, const opd_submit_msg_t *m)
{
    msgpack_pack_map (pk, (m->requester.name != NULL) + (m->requester.email != NULL) + (m->requester.phone != NULL));
    if (m->requester.name)
        opd_pack_kv_str (pk, "name", m->requester.name);
    if (m->requester.email)
        opd_pack_kv_str (pk, "email", m->requester.email);
    if (m->requester.phone)
        opd_pack_kv_str (pk, "phone", m->requester.phone);
}

int
opd_submit_msg_pack (const opd_submit_msg_t *m, msgpack_sbuffer *buf)
{
    if (!s_has (m, 0) || !s_has (m, 1) || !s_has (m, 4))
        return -1;
    size_t n = 2;
    for (int i = 0; i < 19; i++)
        n += s_has (m, i);
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, n);
    opd_pack_kv_int (&pk, "v", 1);
    opd_pack_kv_str (&pk, "type", "intake.submit");
    if (s_has (m, 0)) {
        opd_pack_kv_str (&pk, "channel", m->channel);
    }
    if (s_has (m, 1)) {
        opd_pack_kv_str (&pk, "external_id", m->external_id);
    }
    if (s_has (m, 2)) {
        opd_pack_kv_int (&pk, "received_at", m->received_at);
    }
    if (s_has (m, 3)) {
        opd_pack_str (&pk, "requester");
        s_pack_requester (&pk, m);
    }
    if (s_has (m, 4)) {
        opd_pack_kv_str (&pk, "subject", m->subject);
    }
    if (s_has (m, 5)) {
        opd_pack_kv_str (&pk, "body", m->body);
    }
    if (s_has (m, 6)) {
        opd_pack_kv_str (&pk, "kind", m->kind);
    }
    if (s_has (m, 7)) {
        opd_pack_kv_str (&pk, "request_type", m->request_type);
    }
    if (s_has (m, 8)) {
        opd_pack_str (&pk, "fields");
        opd_pack_json (&pk, m->fields);
    }
    if (s_has (m, 9)) {
        opd_pack_kv_str (&pk, "priority", m->priority);
    }
    if (s_has (m, 10)) {
        opd_pack_kv_str (&pk, "impact", m->impact);
    }
    if (s_has (m, 11)) {
        opd_pack_kv_str (&pk, "urgency", m->urgency);
    }
    if (s_has (m, 12)) {
        opd_pack_kv_str (&pk, "category", m->category);
    }
    if (s_has (m, 13)) {
        opd_pack_kv_str (&pk, "reply_to", m->reply_to);
    }
    if (s_has (m, 14)) {
        opd_pack_str (&pk, "attachments");
        opd_pack_json (&pk, m->attachments);
    }
    if (s_has (m, 15)) {
        s_pack_kv_bool (&pk, "suppress_ack");
    }
    if (s_has (m, 16)) {
        s_pack_kv_bool (&pk, "sender_check");
    }
    if (s_has (m, 17)) {
        opd_pack_str (&pk, "participants");
        msgpack_pack_array (&pk, m->participants_count);
        for (size_t j = 0; j < m->participants_count; j++)
            opd_pack_str (&pk, m->participants[j]);
    }
    if (s_has (m, 18)) {
        opd_pack_kv_str (&pk, "agent", m->agent);
    }
    return 0;
}
