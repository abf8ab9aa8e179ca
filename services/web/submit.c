/*  submit: requests from the API and the portal reach intake over the real
    intake protocol (CONTRACT.md section 3), like any other channel adapter,
    through an intake client lent by http.c's pool (no socket per request),
    a timeout, the reply decoded. */
#include "web.h"
#include "opd_util.h"
#include <glib.h>
#include <stdio.h>
#include <string.h>

int
web_submit (http_req_t *req, json_t *obj, int timeout_ms, opd_intake_reply_t *reply, char *key,
            size_t keylen)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    web_body_pack_submit (obj, &buf);
    //  The client is the request's (lent by the pool): one thread at a time.
    opd_intake_client_t *client = http_intake (req);
    int rc = -1;
    if (client) {
        opd_intake_client_set_timeout (client, timeout_ms);
        rc = opd_intake_client_submit (client, buf.data, buf.size, reply);
        if (rc == 0 && key)
            snprintf (key, keylen, "%s", reply->key);
    }
    msgpack_sbuffer_destroy (&buf);
    return rc;
}

void
web_random_id (char *buf)
{
    opd_random_hex (buf, 16);
}
