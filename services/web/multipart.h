/*  multipart: the small multipart/form-data reader of the portal's upload
    form (portal_attach.c): it takes the parts such a form sends and refuses
    anything it cannot read. Pure; fuzzed by fuzz/fuzz_multipart.c. */
#ifndef WEB_MULTIPART_H_INCLUDED
#define WEB_MULTIPART_H_INCLUDED
#include <stddef.h>

typedef struct {
    char name[32];        //  the form field's name
    char filename[256];   //  "" when not a file
    char type[128];       //  the part's Content-Type, "" when none
    const char *data;     //  into the body
    size_t len;
} web_part_t;

//  Splits body (len bytes) of Content-Type ct into at most max parts, whose
//  data point into body. Their count, or -1 when the body is not a
//  multipart/form-data body this reader takes.
int web_multipart (const char *ct, const char *body, size_t len, web_part_t *parts, int max);
#endif
