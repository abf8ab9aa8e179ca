/*  opd_blob: attachment bodies kept on a volume of their own, each in one
    file named by the SHA-256 of its bytes (content-addressed: the same file
    sent twice is kept once). The email adapter and opdesk-web store them;
    opdesk-web serves them; the anonymiser deletes them.

    A file is written under a temporary name, synced, then renamed, so that a
    reader never sees half a body. Pure file work, no Redis. */
#ifndef OPD_BLOB_H_INCLUDED
#define OPD_BLOB_H_INCLUDED
#include <stdbool.h>
#include <stddef.h>

//  The lowercase hex SHA-256 of data into out (65 bytes with the NUL).
void opd_blob_sha256 (const void *data, size_t len, char out[65]);
//  True when s is 64 lowercase hex digits (a name the store may hold).
bool opd_blob_name_valid (const char *s);
//  Keeps len bytes of data in dir (made when missing) as dir/SHA256, where
//  sha256 is theirs. Nothing is written when a file of that name and size
//  is there already. Returns 0, or -1 when it could not be written (logged,
//  with the digest only).
int opd_blob_put (const char *dir, const char *sha256, const void *data, size_t len);
//  The path of a stored body: a new string, the caller's to free; NULL when
//  sha256 is not a valid name.
char *opd_blob_path (const char *dir, const char *sha256);
#endif
