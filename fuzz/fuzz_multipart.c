/*  fuzz_multipart: libFuzzer harness for the portal's multipart/form-data
    reader (services/web/multipart.c), which reads the upload form's body
    straight from the client. The input's first line is the Content-Type,
    the rest the body. Every part it returns must lie inside the body, in
    order, with NUL-terminated names; at most max parts. Built and run by
    fuzz/run.sh. */
#include "../services/web/multipart.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr (data, '\n', size);
    size_t ctlen = nl ? (size_t) (nl - data) : 0;
    char *ct = malloc (ctlen + 1);
    memcpy (ct, data, ctlen);
    ct[ctlen] = 0;
    size_t len = nl ? size - ctlen - 1 : size;
    //  The body in a buffer of its own size, so that reading past it is seen.
    char *body = malloc (len ? len : 1);
    memcpy (body, nl ? (const char *) nl + 1 : (const char *) data, len);
    web_part_t parts[4];
    int n = web_multipart (ct, body, len, parts, 4);
    if (n > 4)
        abort ();
    const char *prev = body;
    for (int i = 0; i < n; i++) {
        const web_part_t *p = &parts[i];
        if (p->data < prev || p->data + p->len > body + len)
            abort ();
        if (!memchr (p->name, 0, sizeof p->name) || !memchr (p->filename, 0, sizeof p->filename)
            || !memchr (p->type, 0, sizeof p->type))
            abort ();
        prev = p->data + p->len;
    }
    free (body);
    free (ct);
    return 0;
}
