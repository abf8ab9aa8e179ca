/*  test_mail_trust: when mail is believed to come from an agent
    (services/email/opd_mail_trust.c, proto/src/opd_reply_token.c): reply
    tokens bound to a ticket and an agent, and Authentication-Results from
    the configured MTA only. */
#include "opd_config.h"
#include "opd_mail_trust.h"
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

static opd_config_t *
s_config (const char *agent_mail)
{
    char text[1024], err[512];
    snprintf (text, sizeof text,
              "agents:\n"
              "  - {id: alice, email: alice@example.org}\n"
              "  - {id: bob, email: bob@example.org}\n"
              "notifications: {smtp: {url: \"smtp://127.0.0.1:2525\", from: desk@example.org}}\n"
              "channels: {email: {agent_mail: %s}}\n",
              agent_mail);
    opd_config_t *cfg = opd_config_parse (text, strlen (text), "test.yaml", err, sizeof err);
    if (!cfg)
        fail_msg ("%s", err);
    return cfg;
}

#define SECRET "{secret: 0123456789abcdef-secret"

static void
test_reply_token_is_bound_to_ticket_and_agent (void **state)
{
    (void) state;
    opd_config_t *cfg = s_config (SECRET "}");
    char a[32], b[32], c[32];
    assert_true (opd_reply_token (cfg, "OPD-2", "alice", a));
    assert_int_equal (strlen (a), OPD_REPLY_TOKEN_LEN);
    assert_int_equal (strspn (a, "abcdefghijklmnopqrstuvwxyz234567"), OPD_REPLY_TOKEN_LEN);
    assert_true (opd_reply_token (cfg, "OPD-2", "alice", b));
    assert_string_equal (a, b);
    assert_true (opd_reply_token (cfg, "OPD-3", "alice", b));
    assert_true (opd_reply_token (cfg, "OPD-2", "bob", c));
    assert_string_not_equal (a, b);
    assert_string_not_equal (a, c);
    char *addr = opd_reply_address (cfg, "OPD-2", "alice");
    char want[128];
    snprintf (want, sizeof want, "desk+%s@example.org", a);
    assert_string_equal (addr, want);
    free (addr);
    opd_config_destroy (&cfg);

    //  Another secret, other tokens; no secret, no tokens at all.
    cfg = s_config ("{secret: another-secret-of-the-desk, reply_address: help@example.net}");
    assert_true (opd_reply_token (cfg, "OPD-2", "alice", b));
    assert_string_not_equal (a, b);
    addr = opd_reply_address (cfg, "OPD-2", "alice");
    assert_non_null (strstr (addr, "help+"));
    assert_non_null (strstr (addr, "@example.net"));
    free (addr);
    opd_config_destroy (&cfg);
    cfg = s_config ("{}");
    assert_false (opd_reply_token (cfg, "OPD-2", "alice", a));
    assert_null (opd_reply_address (cfg, "OPD-2", "alice"));
    opd_config_destroy (&cfg);
}

//  The agent the claim is believed to be on ticket, or NULL.
static const char *
s_who (const opd_config_t *cfg, const char *from, const char *rcpt, const char *ar1, const char *ar2,
       const char *ticket)
{
    char *rc[2] = {(char *) "desk@example.org", (char *) rcpt};
    char *ar[2] = {(char *) ar1, (char *) ar2};
    opd_mail_claim_t claim = {from, rc, rcpt ? 2 : 1, ar, ar2 ? 2 : ar1 ? 1 : 0};
    const char *how = NULL;
    const opd_agent_t *a = opd_mail_trusted_agent (cfg, &claim, ticket, &how);
    assert_non_null (how);
    return a ? a->id : NULL;
}

static void
test_agent_needs_a_token_for_that_ticket_and_agent (void **state)
{
    (void) state;
    opd_config_t *cfg = s_config (SECRET "}");
    char *alice2 = opd_reply_address (cfg, "OPD-2", "alice");
    char *alice3 = opd_reply_address (cfg, "OPD-3", "alice");
    char *bob2 = opd_reply_address (cfg, "OPD-2", "bob");
    //  From alone: a forged sender is nobody.
    assert_null (s_who (cfg, "alice@example.org", NULL, NULL, NULL, "OPD-2"));
    //  The right token from the right agent.
    assert_string_equal (s_who (cfg, "alice@example.org", alice2, NULL, NULL, "OPD-2"), "alice");
    //  Upper-cased by a mail client: still hers.
    char *upper = g_ascii_strup (alice2, -1);
    assert_string_equal (s_who (cfg, "alice@example.org", upper, NULL, NULL, "OPD-2"), "alice");
    g_free (upper);
    //  Another ticket's token, another agent's token, another sender.
    assert_null (s_who (cfg, "alice@example.org", alice3, NULL, NULL, "OPD-2"));
    assert_null (s_who (cfg, "alice@example.org", bob2, NULL, NULL, "OPD-2"));
    assert_null (s_who (cfg, "bob@example.org", alice2, NULL, NULL, "OPD-2"));
    assert_null (s_who (cfg, "mallory@evil.example", alice2, NULL, NULL, "OPD-2"));
    //  A token with one character changed, or on another domain.
    char *bad = opd_strdup (alice2);
    char *plus = strchr (bad, '+');
    plus[1] = plus[1] == 'a' ? 'b' : 'a';
    assert_null (s_who (cfg, "alice@example.org", bad, NULL, NULL, "OPD-2"));
    free (bad);
    char *other = opd_sprintf ("%.*s@evil.example", (int) (strchr (alice2, '@') - alice2), alice2);
    assert_null (s_who (cfg, "alice@example.org", other, NULL, NULL, "OPD-2"));
    free (other);
    //  No ticket: nothing to be an agent on.
    assert_null (s_who (cfg, "alice@example.org", alice2, NULL, NULL, NULL));
    //  DMARC is not enough when only tokens are trusted.
    assert_null (s_who (cfg, "alice@example.org", NULL, "mx.example.org; dmarc=pass header.from=example.org",
                        NULL, "OPD-2"));
    opd_config_destroy (&cfg);
    //  trust: none believes nothing.
    cfg = s_config (SECRET ", trust: none}");
    assert_null (s_who (cfg, "alice@example.org", alice2, NULL, NULL, "OPD-2"));
    opd_config_destroy (&cfg);
    free (alice2);
    free (alice3);
    free (bob2);
}

static void
test_agent_by_dmarc_of_the_configured_mta_only (void **state)
{
    (void) state;
    opd_config_t *cfg = s_config ("{trust: dmarc, authserv_id: mx.example.org}");
    const char *pass = "mx.example.org; spf=pass smtp.mailfrom=example.org;\r\n dkim=pass header.d=example.org;"
                       " dmarc=pass (p=reject dis=none) header.from=example.org";
    assert_string_equal (s_who (cfg, "alice@example.org", NULL, pass, NULL, "OPD-2"), "alice");
    assert_string_equal (s_who (cfg, "alice@example.org", NULL, "MX.example.org 1; DMARC=pass header.from=\"Example.org\"",
                                NULL, "OPD-2"),
                         "alice");
    //  Another authserv-id (the sender's own, or a relay's): ignored.
    assert_null (s_who (cfg, "alice@example.org", NULL, "evil.example; dmarc=pass header.from=example.org", NULL,
                        "OPD-2"));
    //  Ours on top says fail; a forged pass below it is not read.
    assert_null (s_who (cfg, "alice@example.org", NULL, "mx.example.org; dmarc=fail header.from=example.org", pass,
                        "OPD-2"));
    //  Someone else's header on top, ours below: ours is the one read.
    assert_string_equal (s_who (cfg, "alice@example.org", NULL, "evil.example; dmarc=fail", pass, "OPD-2"), "alice");
    //  A pass for another domain, a pass in a comment, no header.from, a sender who is no agent.
    assert_null (s_who (cfg, "alice@example.org", NULL, "mx.example.org; dmarc=pass header.from=evil.example", NULL,
                        "OPD-2"));
    assert_null (s_who (cfg, "alice@example.org", NULL, "mx.example.org; dmarc=fail (dmarc=pass) header.from=example.org",
                        NULL, "OPD-2"));
    assert_null (s_who (cfg, "alice@example.org", NULL, "mx.example.org; dmarc=pass", NULL, "OPD-2"));
    assert_null (s_who (cfg, "carol@example.org", NULL, pass, NULL, "OPD-2"));
    assert_null (s_who (cfg, "alice@example.org", NULL, "", NULL, "OPD-2"));
    assert_null (s_who (cfg, "alice@example.org", NULL, ";;;", NULL, "OPD-2"));
    assert_false (opd_auth_results_dmarc_pass ("mx.example.org; dmarc=passed header.from=example.org", "mx.example.org",
                                               "example.org"));
    opd_config_destroy (&cfg);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_reply_token_is_bound_to_ticket_and_agent),
        cmocka_unit_test (test_agent_needs_a_token_for_that_ticket_and_agent),
        cmocka_unit_test (test_agent_by_dmarc_of_the_configured_mta_only),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
