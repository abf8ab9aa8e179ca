/*  test_mail: the text helpers of opd_mail (services/email/opd_mail.c): HTML to
    text, quoted-text trimming, subject prefixes and tags, the desk's own
    Message-IDs, and parsing of a few shapes that the corpus test
    (tests/integration/test_mailgate.py) does not isolate. */
#include "opd_mail.h"
#include "opd_util.h"
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static void
s_html_is (const char *html, const char *expected)
{
    char *text = opd_mail_html_to_text (html, strlen (html));
    assert_string_equal (text, expected);
    free (text);
}

static void
test_html_keeps_breaks_and_decodes_entities (void **state)
{
    (void) state;
    s_html_is ("<p>Hello&nbsp;there,</p><p>line&#8217;s<br>next &amp; &lt;b&gt; &#x20AC;</p>",
               "Hello there,\nline\u2019s\nnext & <b> \u20ac");
    s_html_is ("<ul><li>one</li><li>two</li></ul>", "- one\n- two");
    s_html_is ("<head><title>t</title><style>p{}</style></head><body>a  \n  b<script>x()</script></body>",
               "a b");
    s_html_is ("a<blockquote>quoted<br>twice</blockquote>b", "a\n> quoted\n> twice\nb");
    s_html_is ("5 < 6 &unknown; <!-- hidden -->", "5 < 6 &unknown;");
    s_html_is ("<p>x</p><p></p><p></p><p></p><p>y</p>", "x\ny");
    s_html_is ("<br><br>a<br><br><br><br>b", "a\n\nb");
}

static void
s_trim_is (const char *text, const char *expected)
{
    char *out = opd_mail_trim_quotes (text);
    assert_string_equal (out, expected);
    free (out);
}

static void
test_trim_quotes (void **state)
{
    (void) state;
    s_trim_is ("Thanks!\n\nOn Mon, 2 Mar 2026, Desk <d@x.org> wrote:\n> old\n> older\n", "Thanks!");
    s_trim_is ("Thanks!\n\nOn Mon, 2 Mar 2026 at 10:00, Desk <\nd@x.org> wrote:\n> old\n", "Thanks!");
    s_trim_is ("> question?\nanswer\n> second?\nsecond answer\n", "answer\nsecond answer");
    s_trim_is ("On Mon, Desk wrote:\n> q\n\nbottom answer\n", "bottom answer");
    s_trim_is ("Yes.\n\n-----Original Message-----\nFrom: a\nSent: b\n\nold\n", "Yes.");
    s_trim_is ("Ja.\n\n________________________________\nVon: Desk\nGesendet: heute\nAn: x\n\nalt\n", "Ja.");
    s_trim_is ("Danke.\n\nAm 03.03.2026 um 10:00 schrieb Service Desk <d@x.org>:\n> alt\n", "Danke.");
    s_trim_is ("Merci.\n\nLe 3 mars 2026, Desk a \u00e9crit :\n> vieux\n", "Merci.");
    //  Only quotes: nothing would be left, so the text stays whole.
    s_trim_is ("> only quoted\n", "> only quoted\n");
    //  A line that merely starts with "From:" is not an Outlook block.
    s_trim_is ("From: the start, it failed.\nAgain today.\n", "From: the start, it failed.\nAgain today.");
}

static void
test_subject_base_and_tag (void **state)
{
    (void) state;
    assert_string_equal (opd_mail_subject_base ("Re: AW: Fwd: SV: RE: Printer"), "Printer");
    assert_string_equal (opd_mail_subject_base ("Re[2]: Printer"), "Printer");
    assert_string_equal (opd_mail_subject_base ("Antw: VS: Printer"), "Printer");
    assert_string_equal (opd_mail_subject_base ("Regarding: Printer"), "Regarding: Printer");
    char id[64];
    assert_true (opd_mail_subject_tag ("Re: [OPD-42] Printer", "OPD", id, sizeof id));
    assert_string_equal (id, "OPD-42");
    assert_true (opd_mail_subject_tag ("[list] Re: [opd-7] x", "OPD", id, sizeof id));
    assert_string_equal (id, "OPD-7");
    assert_false (opd_mail_subject_tag ("[OPD-] x", "OPD", id, sizeof id));
    assert_false (opd_mail_subject_tag ("[OPD-12 x", "OPD", id, sizeof id));
    assert_false (opd_mail_subject_tag ("[XYZ-12] x", "OPD", id, sizeof id));
    assert_true (opd_mail_msgid_ticket ("opdesk.OPD-42.17@example.org", "OPD", id, sizeof id));
    assert_string_equal (id, "OPD-42");
    assert_true (opd_mail_msgid_ticket ("<opdesk.OPD-5.1@x>", "OPD", id, sizeof id));
    assert_string_equal (id, "OPD-5");
    assert_false (opd_mail_msgid_ticket ("opdesk.OPD-x.1@x", "OPD", id, sizeof id));
    assert_false (opd_mail_msgid_ticket ("CAHk7@mail.gmail.com", "OPD", id, sizeof id));
}

static opd_mail_t *
s_parse (const char *text)
{
    opd_mail_t *m = NULL;
    assert_int_equal (opd_mail_parse (text, strlen (text), &m), 0);
    return m;
}

static void
test_parse_headers_and_markers (void **state)
{
    (void) state;
    opd_mail_t *m = s_parse ("From: =?UTF-8?B?w4lsb2TDrWU=?= <ELODIE@Example.FR>\r\n"
                             "Cc: a@x.org, Group: b@x.org, c@x.org;\r\n"
                             "Subject: =?ISO-8859-1?Q?caf=E9?= and =?UTF-8?Q?th=C3=A9?=\r\n"
                             "In-Reply-To: <r1@x>\r\nReferences: <r0@x> <r1@x>\r\n"
                             "Auto-Submitted: auto-generated\r\nPrecedence: junk\r\n\r\nHi\r\n");
    assert_string_equal (m->from_email, "elodie@example.fr");
    assert_string_equal (m->from_name, "\u00c9lod\u00ede");
    assert_string_equal (m->subject, "caf\u00e9 and th\u00e9");
    assert_int_equal (m->ncc, 3);
    assert_string_equal (m->cc[1], "b@x.org");
    assert_int_equal (m->nrefs, 2);
    assert_string_equal (m->refs[0], "r1@x");
    assert_string_equal (m->refs[1], "r0@x");
    assert_true (m->auto_submitted);
    assert_true (m->bulk);
    assert_null (m->message_id);
    assert_int_equal (strlen (m->external_id), 64);
    opd_mail_destroy (&m);
    assert_null (m);

    m = s_parse ("From: a@x.org\r\nAuto-Submitted: no\r\nPrecedence: first-class\r\n\r\nHi\r\n");
    assert_false (m->auto_submitted);
    assert_false (m->bulk);
    opd_mail_destroy (&m);

    m = s_parse ("From: Postmaster <POSTMASTER@x.org>\r\n\r\nHi\r\n");
    assert_true (m->from_daemon);
    opd_mail_destroy (&m);
}

static void
test_parse_refuses_what_is_not_mail (void **state)
{
    (void) state;
    opd_mail_t *m = NULL;
    assert_int_equal (opd_mail_parse ("", 0, &m), -2);
    assert_null (m);
    const char *no_from = "Subject: hi\r\n\r\nbody\r\n";
    assert_int_equal (opd_mail_parse (no_from, strlen (no_from), &m), -2);
    const char *bad_from = "From: not an address\r\nSubject: hi\r\n\r\nbody\r\n";
    assert_int_equal (opd_mail_parse (bad_from, strlen (bad_from), &m), -2);
    assert_null (m);
}

static void
test_parse_undeclared_charset_and_html_only (void **state)
{
    (void) state;
    //  8-bit Latin-1 text with no charset: read as Windows-1252.
    opd_mail_t *m = s_parse ("From: a@x.org\r\nContent-Type: text/plain\r\n\r\nna\xefve \x93quote\x94\r\n");
    assert_string_equal (m->body, "na\u00efve \u201cquote\u201d\n");
    opd_mail_destroy (&m);
    m = s_parse ("From: a@x.org\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>One</p><p>Two</p>\r\n");
    assert_true (m->html_only);
    assert_string_equal (m->body, "One\nTwo");
    opd_mail_destroy (&m);
}

//  Each shape of empty text that once reached s_unix_lines as NULL (a
//  SIGSEGV in the mail-gate and in the poller, at every restart) or was read
//  one byte past its buffer (ASan). Each must parse, with a valid, possibly
//  empty, NUL-terminated body.
static const char *const s_empty_shapes[] = {
    //  Subject only: no body at all.
    "From: a@x.org\r\nSubject: only a subject\r\n\r\n",
    //  Headers only, not even the blank line.
    "From: a@x.org\r\nSubject: headers only\r\n",
    //  An empty text/plain body.
    "From: a@x.org\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
    //  An empty text/html body.
    "From: a@x.org\r\nContent-Type: text/html; charset=iso-8859-1\r\n\r\n",
    //  A multipart with an empty text part and an empty html part.
    "From: a@x.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
    "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n--b\r\n"
    "Content-Type: text/html; charset=utf-8\r\n\r\n--b--\r\n",
    //  A multipart/mixed with an empty text part and a zero-length attachment.
    "From: a@x.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    "--b\r\nContent-Type: text/plain; charset=windows-1252\r\n\r\n--b\r\n"
    "Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=empty.pdf\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\n--b--\r\n",
    //  An empty multipart: no parts at all.
    "From: a@x.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b--\r\n",
    //  A bounce whose message/delivery-status part is empty.
    "From: MAILER-DAEMON@x.org\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
    "--b\r\nContent-Type: text/plain\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n"
    "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n--b--\r\n",
    //  A reply (quotes are trimmed) whose text is empty.
    "From: a@x.org\r\nSubject: Re: [OPD-1] x\r\nIn-Reply-To: <q@x>\r\nContent-Type: text/plain\r\n\r\n",
    NULL};

static void
test_parse_survives_empty_text (void **state)
{
    (void) state;
    for (const char *const *s = s_empty_shapes; *s; s++) {
        //  An exact-size copy, so that ASan sees a read past the input.
        size_t len = strlen (*s);
        char *exact = malloc (len);
        memcpy (exact, *s, len);
        opd_mail_t *m = NULL;
        assert_int_equal (opd_mail_parse (exact, len, &m), 0);
        assert_non_null (m->body);
        assert_non_null (m->subject);
        assert_true (strlen (m->body) < 200);
        for (size_t i = 0; i < m->natt; i++) {
            assert_non_null (m->att[i].name);
            assert_int_equal (m->att[i].size, 0);
        }
        opd_mail_destroy (&m);
        free (exact);
    }
}

//  A part whose decoded size fills its buffer exactly (GByteArray grows to
//  powers of two): the old text maker copied len + 1 bytes, one past the
//  buffer (ASan: heap-buffer-overflow). Each size is tried in 8bit and
//  base64, in a single part and in a multipart.
static void
test_parse_reads_no_byte_past_a_part (void **state)
{
    (void) state;
    static const size_t sizes[] = {15, 16, 64, 255, 256, 1024, 4096};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *text = malloc (sizes[i] + 1);
        memset (text, 'a', sizes[i]);
        text[sizes[i]] = 0;
        gchar *b64 = g_base64_encode ((const guchar *) text, sizes[i]);
        char *mails[2];
        mails[0] = opd_sprintf ("From: a@x.org\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n",
                                b64);
        mails[1] = opd_sprintf ("From: a@x.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                                "Content-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                                "%s\r\n--b\r\nContent-Type: message/delivery-status\r\n"
                                "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--b--\r\n",
                                b64, b64);
        for (int k = 0; k < 2; k++) {
            opd_mail_t *m = NULL;
            assert_int_equal (opd_mail_parse (mails[k], strlen (mails[k]), &m), 0);
            assert_non_null (strstr (m->body, "aaaaaaaaaaaaaaa"));
            opd_mail_destroy (&m);
            free (mails[k]);
        }
        g_free (b64);
        free (text);
    }
}

static void
test_text_helpers_take_empty_input (void **state)
{
    (void) state;
    char *t = opd_mail_html_to_text ("", 0);
    assert_string_equal (t, "");
    free (t);
    t = opd_mail_html_to_text (NULL, 0);
    assert_string_equal (t, "");
    free (t);
    t = opd_mail_trim_quotes ("");
    assert_string_equal (t, "");
    free (t);
    t = opd_mail_trim_quotes (NULL);
    assert_string_equal (t, "");
    free (t);
}

//  Found by fuzz_mime: the quote patterns are UTF-8 regular expressions
//  (PCRE JIT), and invalid UTF-8 given to them crashed the process. Text
//  from any source must be safe to trim.
static void
test_trim_quotes_takes_invalid_utf8 (void **state)
{
    (void) state;
    char *t = opd_mail_trim_quotes ("Thanks \xff\xfe!\n\nOn Mon, Desk \xc3 wrote:\n> old \xff\n");
    assert_true (g_utf8_validate (t, -1, NULL));
    assert_non_null (strstr (t, "Thanks"));
    assert_null (strstr (t, "old"));
    free (t);
    t = opd_mail_trim_quotes ("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\nFrom: a\xff\nSent: b\xff\n");
    assert_true (g_utf8_validate (t, -1, NULL));
    free (t);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_html_keeps_breaks_and_decodes_entities),
        cmocka_unit_test (test_trim_quotes),
        cmocka_unit_test (test_subject_base_and_tag),
        cmocka_unit_test (test_parse_headers_and_markers),
        cmocka_unit_test (test_parse_refuses_what_is_not_mail),
        cmocka_unit_test (test_parse_undeclared_charset_and_html_only),
        cmocka_unit_test (test_parse_survives_empty_text),
        cmocka_unit_test (test_parse_reads_no_byte_past_a_part),
        cmocka_unit_test (test_text_helpers_take_empty_input),
        cmocka_unit_test (test_trim_quotes_takes_invalid_utf8),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
