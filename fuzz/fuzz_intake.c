/*  fuzz_intake: libFuzzer harness for what opdesk-intake does with a frame
    from the network before anything reaches Redis.

    Each input is fed, as one frame, to
      - opd_mp_decode with the default limits and with tight ones,
      - opd_submit_decode against a fixed configuration (loaded once), which
        walks every string for UTF-8, checks every key of intake.submit and
        the custom fields of a request type,
      - opd_intake_reply_decode (what clients do with intake's answers).
    A crash, a sanitizer report, a leak, or an allocation above
    -malloc_limit_mb is a finding. Built and run by fuzz/run.sh. */
#include "fuzz_config_load.h"
#include "opd_config.h"
#include "opd_intake.h"
#include "opd_mp.h"
#include "opd_util.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_config_text = FUZZ_DESK_CONFIG
    "request_types:\n"
    "  - id: new-laptop\n"
    "    fields:\n"
    "      - {name: cost_centre, type: string, required: true, pattern: \"^[0-9]{6}$\"}\n"
    "      - {name: model, type: enum, values: [standard, developer], required: true}\n"
    "      - {name: manager_email, type: email, pii: true}\n"
    "      - {name: seats, type: integer}\n"
    "      - {name: budget, type: number}\n"
    "      - {name: urgent, type: boolean}\n"
    "      - {name: needed_by, type: date}\n"
    "      - {name: callback, type: phone, max_length: 20}\n"
    "limits: {body_bytes: 2048, frame_bytes: 4096}\n";

FUZZ_CONFIG_HARNESS ("fuzz_intake", s_config_text)

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const char *frame = (const char *) data;
    char err[256];

    msgpack_unpacked u;
    int rc = opd_mp_decode (frame, size, NULL, &u, err, sizeof err);
    if (rc != OPD_MP_OK && rc != OPD_MP_TRUNCATED && rc != OPD_MP_MALFORMED)
        abort ();
    msgpack_unpacked_destroy (&u);
    static const opd_mp_limits_t tight = {3, 64};
    if (opd_mp_decode (frame, size, &tight, &u, err, sizeof err) == OPD_MP_OK
        && opd_mp_check (frame, size, NULL, err, sizeof err) != OPD_MP_OK)
        abort ();  //  what passes tight limits passes the default ones
    msgpack_unpacked_destroy (&u);

    opd_submit_t *m = NULL;
    opd_reject_t rej;
    if (opd_submit_decode (frame, size, s_cfg, 1764064119000LL, &m, &rej) == 0) {
        //  An accepted submission has what the create script relies on.
        if (!m || !m->channel || !m->external_id || !m->subject || !m->kind
            || (!m->req_email && !m->req_phone))
            abort ();
        opd_submit_destroy (&m);
    }
    else {
        if (m || rej.code == OPD_REJ_NONE || !rej.message[0])
            abort ();
        //  Replies are text: a key or sentence cut short must stay UTF-8.
        if (!opd_utf8_valid (rej.key, strlen (rej.key))
            || !opd_utf8_valid (rej.message, strlen (rej.message)))
            abort ();
        //  The rejection must pack into a reply that decodes again.
        msgpack_sbuffer buf;
        msgpack_sbuffer_init (&buf);
        opd_pack_rejected (&buf, &rej);
        opd_intake_reply_t reply;
        if (opd_intake_reply_decode (buf.data, buf.size, &reply) != 0 || reply.accepted)
            abort ();
        msgpack_sbuffer_destroy (&buf);
    }

    opd_intake_reply_t reply;
    (void) opd_intake_reply_decode (frame, size, &reply);
    return 0;
}
