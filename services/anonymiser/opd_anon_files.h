/*  opd_anon_files: the attachment bodies of an anonymised ticket, deleted
    from attachments.dir when no other ticket holds them. anonymise.lua has
    taken the ticket out of each body's opd:blob:SHA256:refs set, atomically
    with the anonymisation; a body whose set is then gone (empty) is
    deleted, one another ticket still lists stays (decision 142). Part of
    libopdanon. */
#ifndef OPD_ANON_FILES_H_INCLUDED
#define OPD_ANON_FILES_H_INCLUDED
#include "opd_config.h"
#include "opd_redis.h"

//  Deletes the bodies of the attachments list (the ticket's JSON, as read
//  before anonymise.lua) that no ticket holds any more. Returns how many
//  went. A body whose set cannot be read (Redis failed) is kept, with a
//  warning: a file another ticket needs is never deleted on a guess. Never
//  call it with a pipeline's replies still unread.
long long opd_anon_files_release (opd_redis_t *redis, const opd_config_t *cfg, const char *attachments);
#endif
