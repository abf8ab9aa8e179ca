/*  fuzz_event: libFuzzer harness for opd_event_json (proto/src/opd_event.c),
    the JSON view of an event that the events API and the webhooks share.
    Whatever the bytes, it returns NULL or a JSON object that jansson can
    write out as valid UTF-8 text. Built and run by fuzz/run.sh. */
#include "opd_event.h"
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    json_t *j = opd_event_json ((const char *) data, size);
    if (!j)
        return 0;
    if (!json_is_object (j))
        abort ();
    char *text = json_dumps (j, JSON_COMPACT);
    if (!text)
        abort ();
    json_t *again = json_loads (text, JSON_ALLOW_NUL, NULL);
    if (!again || !json_equal (again, j))
        abort ();
    json_decref (again);
    free (text);
    json_decref (j);
    return 0;
}
