/*  opd_blob: attachment bodies named by their SHA-256 (common/src/opd_blob.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "opd_blob.h"
#include <dirent.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
test_blob_sha256_of_known_text (void **state)
{
    (void) state;
    char hex[65];
    opd_blob_sha256 ("test", 4, hex);
    assert_string_equal (hex, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    opd_blob_sha256 (NULL, 0, hex);
    assert_string_equal (hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void
test_blob_names_are_64_lowercase_hex (void **state)
{
    (void) state;
    assert_true (opd_blob_name_valid ("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));
    assert_false (opd_blob_name_valid ("9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"));
    assert_false (opd_blob_name_valid ("../etc/passwd"));
    assert_false (opd_blob_name_valid ("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0"));
    assert_false (opd_blob_name_valid (NULL));
    assert_null (opd_blob_path ("/x", "../../etc/passwd"));
}

static void
test_blob_put_writes_once_and_leaves_no_temporary (void **state)
{
    (void) state;
    char tmpl[] = "/tmp/opd-blob-XXXXXX";
    assert_non_null (mkdtemp (tmpl));
    char *dir = g_strdup_printf ("%s/files", tmpl);  //  made by opd_blob_put
    char hex[65];
    opd_blob_sha256 ("hello\0world", 11, hex);
    assert_int_equal (opd_blob_put (dir, hex, "hello\0world", 11), 0);
    assert_int_equal (opd_blob_put (dir, hex, "hello\0world", 11), 0);
    char *path = opd_blob_path (dir, hex);
    gchar *data = NULL;
    gsize len = 0;
    assert_true (g_file_get_contents (path, &data, &len, NULL));
    assert_int_equal (len, 11);
    assert_memory_equal (data, "hello\0world", 11);
    DIR *d = opendir (dir);
    int files = 0;
    for (struct dirent *e; (e = readdir (d));)
        files += e->d_name[0] != '.';
    closedir (d);
    assert_int_equal (files, 1);
    assert_int_equal (opd_blob_put (dir, "not-a-digest", "x", 1), -1);
    g_free (data);
    unlink (path);
    free (path);
    rmdir (dir);
    rmdir (tmpl);
    g_free (dir);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_blob_sha256_of_known_text),
        cmocka_unit_test (test_blob_names_are_64_lowercase_hex),
        cmocka_unit_test (test_blob_put_writes_once_and_leaves_no_temporary),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
