/*  smtp: sends composed messages through libcurl (smtp:// and smtps://).
    One CURL handle is kept for the life of the object, so that libcurl
    reuses the connection between messages.

    smtp_send returns 0 or -1; smtp_error then says why (the libcurl error
    and the server's reply code, never an address). */
#ifndef OPD_NOTIFIER_SMTP_H_INCLUDED
#define OPD_NOTIFIER_SMTP_H_INCLUDED
#include "opd_config.h"
#include <stddef.h>

typedef struct _smtp_t smtp_t;

//  Takes the url, credentials and timeout from cfg (copied).
smtp_t *smtp_new (const opd_config_t *cfg);
void smtp_destroy (smtp_t **self_p);
//  Sends one message of size bytes from 'from' to 'to' (bare addresses).
int smtp_send (smtp_t *self, const char *from, const char *to, const char *data, size_t size);
const char *smtp_error (smtp_t *self);
#endif
