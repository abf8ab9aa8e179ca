/*  cli_submit: `opdesk submit`, an intake.submit through opd_intake_client
    (CONTRACT.md section 3), channel "api" unless --channel says otherwise. */
#include "cli.h"
#include "opd_intake.h"
#include "opd_intake_client.h"
#include "opd_submit_msg.h"
#include "opd_util.h"
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_spec[] = {
    "subject:", "body:", "body-file:", "email:", "name:", "phone:", "priority:", "impact:",
    "urgency:", "category:", "kind:", "request-type:", "field:", "channel:", "external-id:",
    "reply-to:", "timeout:", NULL};
static const char *s_usage = "opdesk submit --subject S (--email E | --phone P) [--name N] "
                             "[--body B | --body-file F] [--priority P] [--impact I --urgency U] "
                             "[--category C] [--kind K] [--request-type T] [--field K=V ...] "
                             "[--channel api] [--external-id X] [--reply-to ID] [--timeout SECONDS]";

//  A new external id: the channel's id of this submission.
static char *
s_external_id (void)
{
    zuuid_t *u = zuuid_new ();
    char *id = opd_sprintf ("cli-%s", zuuid_str_canonical (u));
    zuuid_destroy (&u);
    return id;
}

//  Sends frame to intake and waits up to timeout_ms for the reply: 0, -1
//  no answer in time, -2 an answer that is not an intake reply.
static int
s_request (const opd_config_t *cfg, const char *frame, size_t len, int timeout_ms,
           opd_intake_reply_t *reply)
{
    opd_intake_client_t *client = opd_intake_client_new (cfg->ep_intake, &cfg->curve, timeout_ms);
    if (!client)
        return -1;
    int rc = opd_intake_client_submit (client, frame, len, reply);
    opd_intake_client_destroy (&client);
    return rc;
}

int
cli_submit (cli_t *c)
{
    int rc = cli_check (c, s_spec, 0, s_usage);
    if (rc)
        return rc;
    const char *subject = cli_opt (c, "subject");
    if (!subject)
        return cli_fail (c, CLI_USAGE, "usage", "submit needs --subject\nusage: %s", s_usage);
    if (cli_opt (c, "body") && cli_opt (c, "body-file"))
        return cli_fail (c, CLI_USAGE, "usage", "give --body or --body-file, not both");
    char *body = NULL;
    if (cli_opt (c, "body-file")) {
        body = cli_read_file (cli_opt (c, "body-file"));
        if (!body)
            return cli_fail (c, CLI_USAGE, "usage", "cannot read --body-file %s", cli_opt (c, "body-file"));
    }
    else if (cli_opt (c, "body"))
        body = opd_strdup (cli_opt (c, "body"));
    int timeout_ms = 10000;
    if (cli_opt (c, "timeout")) {
        double s = atof (cli_opt (c, "timeout"));
        if (s <= 0) {
            free (body);
            return cli_fail (c, CLI_USAGE, "usage", "--timeout must be a number of seconds above 0");
        }
        timeout_ms = (int) (s * 1000);
    }
    //  Custom fields, typed by the request type's definitions when known.
    const char *rtid = cli_opt (c, "request-type");
    const opd_reqtype_t *rt = rtid ? opd_config_reqtype (c->cfg, rtid) : NULL;
    json_t *fields = json_object ();
    for (int i = 0; i < c->nopts; i++) {
        if (strcmp (c->opts[i].name, "field"))
            continue;
        const char *kv = c->opts[i].value;
        const char *eq = strchr (kv, '=');
        if (!eq || eq == kv) {
            free (body);
            json_decref (fields);
            return cli_fail (c, CLI_USAGE, "usage", "--field needs NAME=VALUE, not '%s'", kv);
        }
        char *name = opd_strndup (kv, (size_t) (eq - kv));
        json_t *v = NULL;
        char err[512];
        if (cli_field_value (rt, name, eq + 1, &v, false, err, sizeof err)) {
            free (name);
            free (body);
            json_decref (fields);
            return cli_fail (c, CLI_REFUSED, "invalid", "%s", err);
        }
        json_object_set_new (fields, name, v ? v : json_string (""));
        free (name);
    }

    char *ext = cli_opt (c, "external-id") ? opd_strdup (cli_opt (c, "external-id")) : s_external_id ();
    opd_submit_msg_t m = {
        .channel = cli_opt (c, "channel") ? cli_opt (c, "channel") : "api",
        .external_id = ext,
        .requester = {cli_opt (c, "name"), cli_opt (c, "email"), cli_opt (c, "phone")},
        .subject = subject,
        .body = body,
        .kind = cli_opt (c, "kind"),
        .request_type = rtid,
        .fields = json_object_size (fields) ? fields : NULL,
        .priority = cli_opt (c, "priority"),
        .impact = cli_opt (c, "impact"),
        .urgency = cli_opt (c, "urgency"),
        .category = cli_opt (c, "category"),
        .reply_to = cli_opt (c, "reply-to"),
    };
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    opd_submit_msg_pack (&m, &buf);  //  subject and external id are set: cannot fail
    json_decref (fields);
    free (body);

    opd_intake_reply_t reply;
    int sent = s_request (c->cfg, buf.data, buf.size, timeout_ms, &reply);
    msgpack_sbuffer_destroy (&buf);
    free (ext);
    if (sent == -1)
        return cli_fail (c, CLI_UNAVAILABLE, "unavailable", "intake at %s did not answer within %d s",
                         c->cfg->ep_intake, timeout_ms / 1000);
    if (sent == -2)
        return cli_fail (c, CLI_UNAVAILABLE, "unavailable", "intake at %s sent a reply that is not one",
                         c->cfg->ep_intake);
    if (!reply.accepted) {
        if (!strcmp (reply.code, "unavailable"))
            rc = CLI_UNAVAILABLE;
        else
            rc = CLI_REFUSED;
        return cli_fail (c, rc, reply.code, "rejected (%s): %s", reply.code, reply.error);
    }
    if (c->json)
        cli_print_json (json_pack ("{s:s, s:b}", "ticket_id", reply.ticket_id, "created", reply.created));
    else
        printf ("%s%s\n", reply.ticket_id, reply.created ? "" : " (not created: a repeat, or a reply added to that ticket)");
    return CLI_OK;
}
