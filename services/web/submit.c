/*  submit: requests from the API and the portal reach intake over the real
    intake protocol (CONTRACT.md section 3), like any other channel adapter:
    one REQ socket per request, a timeout, the reply decoded. */
#include "web.h"
#include "opd_mp.h"
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <zmq.h>

static void
s_pack (msgpack_packer *pk, json_t *v)
{
    switch (json_typeof (v)) {
    case JSON_OBJECT: {
        msgpack_pack_map (pk, json_object_size (v));
        const char *k;
        json_t *e;
        json_object_foreach (v, k, e) {
            opd_pack_str (pk, k);
            s_pack (pk, e);
        }
        break;
    }
    case JSON_ARRAY: {
        msgpack_pack_array (pk, json_array_size (v));
        size_t i;
        json_t *e;
        json_array_foreach (v, i, e)
            s_pack (pk, e);
        break;
    }
    case JSON_STRING:
        msgpack_pack_str (pk, json_string_length (v));
        msgpack_pack_str_body (pk, json_string_value (v), json_string_length (v));
        break;
    case JSON_INTEGER:
        msgpack_pack_int64 (pk, json_integer_value (v));
        break;
    case JSON_REAL:
        msgpack_pack_double (pk, json_real_value (v));
        break;
    case JSON_TRUE:
        msgpack_pack_true (pk);
        break;
    case JSON_FALSE:
        msgpack_pack_false (pk);
        break;
    default:
        msgpack_pack_nil (pk);
        break;
    }
}

//  The "key" of a rejection (not kept by opd_intake_reply_decode).
static void
s_reply_key (const char *frame, size_t len, char *key, size_t size)
{
    msgpack_unpacked u;
    char err[128];
    key[0] = 0;
    if (opd_mp_decode (frame, len, NULL, &u, err, sizeof err) == 0) {
        const char *s;
        size_t n;
        if (opd_mp_is_str (opd_mp_get (&u.data, "key"), &s, &n))
            snprintf (key, size, "%.*s", (int) n, s);
    }
    msgpack_unpacked_destroy (&u);
}

int
web_submit (http_req_t *req, json_t *obj, int timeout_ms, opd_intake_reply_t *reply, char *key,
            size_t keylen)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, json_object_size (obj) + 2);
    opd_pack_kv_int (&pk, "v", 1);
    opd_pack_kv_str (&pk, "type", "intake.submit");
    const char *k;
    json_t *v;
    json_object_foreach (obj, k, v) {
        opd_pack_str (&pk, k);
        s_pack (&pk, v);
    }
    void *sock = zmq_socket (http_zmq (req), ZMQ_REQ);
    int zero = 0;
    zmq_setsockopt (sock, ZMQ_LINGER, &zero, sizeof zero);
    int rc = -1;
    if (zmq_connect (sock, req->cfg->ep_intake) == 0 && zmq_send (sock, buf.data, buf.size, 0) >= 0) {
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll (&item, 1, timeout_ms) == 1) {
            zmq_msg_t msg;
            zmq_msg_init (&msg);
            if (zmq_msg_recv (&msg, sock, 0) >= 0) {
                rc = opd_intake_reply_decode (zmq_msg_data (&msg), zmq_msg_size (&msg), reply) ? -2 : 0;
                if (rc == 0 && key)
                    s_reply_key (zmq_msg_data (&msg), zmq_msg_size (&msg), key, keylen);
            }
            zmq_msg_close (&msg);
        }
    }
    zmq_close (sock);
    msgpack_sbuffer_destroy (&buf);
    return rc;
}

void
web_random_id (char *buf)
{
    unsigned char bytes[16];
    //  getrandom blocks only before the kernel's pool is ready at boot.
    if (getrandom (bytes, sizeof bytes, 0) != (ssize_t) sizeof bytes)
        for (size_t i = 0; i < sizeof bytes; i++)
            bytes[i] = (unsigned char) g_random_int ();
    for (size_t i = 0; i < sizeof bytes; i++)
        snprintf (buf + 2 * i, 3, "%02x", bytes[i]);
}
