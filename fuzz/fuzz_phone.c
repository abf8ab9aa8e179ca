/*  fuzz_phone: libFuzzer harness for what opdesk-phone does with a webhook
    post before anything reaches Redis or intake.

    The first byte of each input chooses the Content-Type (JSON, a form,
    none, another); the rest is the body. Each input goes through
      - phone_parse_body (services/phone/webhook.c): a refusal is 400, 415
        or 422 with a sentence; accepted fields are UTF-8 text;
      - phone_number_normalise and phone_number_withheld on the from, to
        and the whole body: what comes out is E.164;
      - phone_signature_ok with the body as the header, with a correct
        signature (must verify) and with it one digit off (must not).
    Built and run by fuzz/run.sh. */
#include "../services/phone/number.h"
#include "../services/phone/webhook.h"
#include "opd_util.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_number (const char *text)
{
    char out[32];
    if (phone_number_normalise (text, "44", out, sizeof out) == 0 && !opd_e164_valid (out))
        abort ();
    (void) phone_number_withheld (text);
}

static void
s_signatures (const char *body, size_t len)
{
    static const char secret[] = "s3cret-phone";
    GHmac *h = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) secret, strlen (secret));
    g_hmac_update (h, (const guchar *) body, len);
    char header[80];
    snprintf (header, sizeof header, "sha256=%s", g_hmac_get_string (h));
    g_hmac_unref (h);
    if (!phone_signature_ok (secret, header, NULL, body, len))
        abort ();
    header[7] = header[7] == '0' ? '1' : '0';
    if (phone_signature_ok (secret, header, NULL, body, len))
        abort ();
    //  The body as a header and as a timestamp: parsed, never trusted.
    if (phone_signature_ok (secret, body, NULL, body, len) && strncmp (body, "sha256=", 7))
        abort ();
    (void) phone_signature_ok (secret, header, body, body, len);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    static const char *const types[] = {"application/json", "application/x-www-form-urlencoded", NULL,
                                        "application/json; charset=utf-8", "text/plain"};
    const char *ct = types[data[0] % 5];
    //  The server hands handlers a NUL-terminated body.
    char *body = malloc (size);
    memcpy (body, data + 1, size - 1);
    body[size - 1] = 0;
    size_t len = size - 1;
    phone_error_t e;
    GHashTable *f = phone_parse_body (ct, body, len, &e);
    if (!f) {
        if ((e.status != 400 && e.status != 415 && e.status != 422) || !e.message[0] || !e.code[0])
            abort ();
    }
    else {
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init (&it, f);
        while (g_hash_table_iter_next (&it, &k, &v))
            if (!opd_utf8_valid (k, strlen (k)) || !opd_utf8_valid (v, strlen (v)))
                abort ();
        const char *from = g_hash_table_lookup (f, "from"), *to = g_hash_table_lookup (f, "to");
        if (from)
            s_number (from);
        if (to)
            s_number (to);
        g_hash_table_destroy (f);
    }
    s_number (body);
    s_signatures (body, len);
    free (body);
    return 0;
}
