"""Standard responses and footers through the real processes (issue 12):
variables filled by one renderer on every path (automatic acknowledgement,
API comment, command line), strictly (an agent's send with a variable
without a value is refused with the variable named and nothing stored; an
automatic one is held: the plain acknowledgement goes, the hold is in the
history, /metrics and the log), never twice; due times in the policy
calendar's time zone; the mail keeps the ticket's subject; the first-response
clock is met by an agent's response only; the configuration refuses unknown
variables and bad guide links; and every path to a requester ends with the
real footer exactly once."""
import datetime
import email
import email.policy
import json
import os
import subprocess
import time
import unittest
import zoneinfo

import harness

AGENT = "change-me-agent"
FOOTER = ("Service Desk, phone +44 20 7946 0000, Mon-Fri 08:00-18:00. "
          "Reply to this message to update your request.")
REAL_FOOTER = "\n-- \n" + FOOTER + "\n"
TZ = "Asia/Tokyo"  # far from UTC, so a time in UTC cannot pass for it


def config():
    cfg = harness.copy_config()
    cfg["calendars"]["tokyo"] = {"timezone": TZ, "hours": "24x7"}
    for p in cfg["slo_policies"]:
        p["calendar"] = "tokyo"
    cfg["standard_responses"] = [
        {"id": "vpn-basics", "subject": "VPN help for {{requester.name}} ({{ticket.id}})",
         "body": "Hello {{ requester.name }}, about \"{{ticket.subject}}\" ({{ticket.id}}): "
                 "we answer by {{due.first_response}} and resolve by {{due.resolution}}.",
         "guide_url": "https://wiki.example.org/vpn"},
        {"id": "laptop-order", "subject": "Your laptop order",
         "body": "Model {{fields.model}} for cost centre {{fields.cost_centre}}."},
        {"id": "laptop-manager", "body": "We asked {{fields.manager_email}} to approve it."},
    ]
    cfg["routing_rules"].append(
        {"name": "laptop", "when": {"keywords": ["laptop"], "in": ["subject"]},
         "then": {"team": "service-desk", "standard_response": "laptop-order"}})
    return cfg


def parsed(m):
    return email.message_from_string(m["data"], policy=email.policy.default)


def body_of(msg):
    return msg.get_content().replace("\r\n", "\n")


def when(ms):
    """The renderer's human form, computed here independently."""
    t = datetime.datetime.fromtimestamp(ms // 1000, zoneinfo.ZoneInfo(TZ))
    return "%s %d %s %d %02d:%02d (%s)" % (t.strftime("%A"), t.day, t.strftime("%B"), t.year,
                                           t.hour, t.minute, TZ)


class StandardResponseTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(["intake", "router", "slo", "notifier", "web"], config=config())
        cls.st.__enter__()
        from test_web import Client
        cls.http = Client(cls.st.http_port)

    @classmethod
    def tearDownClass(cls):
        cls.st.__exit__(None, None, None)

    # --- helpers ---------------------------------------------------------
    def mails(self, tid, prefix=""):
        out = []
        for m in self.st.smtp.messages:
            msg = parsed(m)
            if "[%s]" % tid in str(msg["Subject"]) and str(msg["Subject"]).startswith(prefix):
                out.append(msg)
        return out

    def wait_mail(self, tid, prefix="[", n=1):
        return self.st.wait_for(lambda: len(self.mails(tid, prefix)) >= n and self.mails(tid, prefix),
                                timeout=20, what="%d mail(s) %r for %s" % (n, prefix, tid))[n - 1]

    def submit(self, **over):
        tid = self.st.submit(self.st.message(**over))["ticket_id"]
        self.st.wait_for(lambda: self.st.ticket(tid).get("fr_due"), what="the clocks of " + tid)
        return tid

    def call(self, method, path, body=None, status=None):
        code, value, _ = self.http.request(method, path, body, AGENT)
        if status is not None:
            self.assertEqual(code, status, value)
        return value

    def history(self, tid):
        return [json.loads(h) for h in self.st.r.lrange("opd:t:{%s}:h" % tid, 0, -1)]

    def assert_footer_once(self, body):
        self.assertTrue(body.endswith(REAL_FOOTER), body)

    # --- the automatic acknowledgement -----------------------------------
    def test_acknowledgement_fills_every_variable_in_the_calendar_time_zone(self):
        tid = self.submit(subject="VPN is down", body="Since this morning.")
        msg = self.wait_mail(tid)
        self.assertEqual(str(msg["Subject"]), "[%s] VPN is down" % tid)  # the ticket's own subject
        t = self.st.ticket(tid)
        body = body_of(msg)
        self.assertIn("VPN help for Rita Requester (%s)\n\n" % tid, body)
        self.assertIn("Hello Rita Requester, about \"VPN is down\" (%s): we answer by %s and resolve by %s."
                      % (tid, when(int(t["fr_due"])), when(int(t["res_due"]))), body)
        self.assertIn("(%s)" % TZ, body)
        self.assertIn("Guide: https://wiki.example.org/vpn", body)
        self.assertNotIn("{{", body)
        self.assert_footer_once(body)
        # An automatic response does not meet the first-response clock.
        time.sleep(0.5)
        t = self.st.ticket(tid)
        self.assertEqual(t["fr_state"], "running")
        self.assertNotIn("first_reply_at", t)
        met = [e for topic, e in self.st.events_history()
               if topic == "slo.met" and e.get("ticket_id") == tid and e.get("slo") == "first_response"]
        self.assertEqual(met, [])

    def test_values_are_inserted_as_text_and_never_expanded_again(self):
        tid = self.submit(subject="VPN {{requester.name}} and {{ticket.id}} {{nope}}",
                          requester={"name": "Rita {{ticket.subject}}", "email": "rita@example.com"})
        body = body_of(self.wait_mail(tid))
        self.assertIn("VPN help for Rita {{ticket.subject}} (%s)" % tid, body)
        self.assertIn("about \"VPN {{requester.name}} and {{ticket.id}} {{nope}}\" (%s)" % tid, body)
        self.assert_footer_once(body)

    def test_custom_fields_fill_their_variables(self):
        tid = self.submit(subject="New laptop please", request_type="new-laptop",
                          fields={"cost_centre": "123456", "model": "developer"})
        body = body_of(self.wait_mail(tid))
        self.assertIn("Your laptop order\n\nModel developer for cost centre 123456.", body)
        self.assert_footer_once(body)

    def test_an_automatic_response_without_a_value_is_held_and_the_plain_ack_sent(self):
        before = self.metric("opdesk_standard_responses_held_total")
        tid = self.submit(subject="VPN again", requester={"email": "rita@example.com"})
        msg = self.wait_mail(tid)
        body = body_of(msg)
        self.assertEqual(str(msg["Subject"]), "[%s] VPN again" % tid)
        self.assertIn("logged it with reference %s" % tid, body)
        self.assertNotIn("VPN help", body)
        self.assertNotIn("{{", body)
        self.assert_footer_once(body)
        self.st.wait_for(lambda: any(h["action"] == "standard_response_held" for h in self.history(tid)),
                         what="the hold in the history")
        held = [h for h in self.history(tid) if h["action"] == "standard_response_held"][0]
        self.assertEqual((held["details"]["response"], held["details"]["variable"]),
                         ("vpn-basics", "requester.name"))
        self.assertEqual(self.metric("opdesk_standard_responses_held_total"), before + 1)
        log = self.st.log("notifier")
        self.assertIn("standard response held", log)
        self.assertIn("ticket=%s response=vpn-basics variable=requester.name" % tid, log)
        self.assertEqual(self.st.personal_data_in_logs(), [])

    def metric(self, name):
        text = self.call("GET", "/metrics", status=200)
        for line in text.splitlines():
            if line.startswith(name + " "):
                return int(line.split()[1])
        self.fail("%s not in /metrics" % name)

    # --- an agent's send ---------------------------------------------------
    def test_agent_sends_a_response_the_mail_keeps_the_subject_and_it_meets_first_response(self):
        tid = self.submit(subject="Remote access broken")
        self.wait_mail(tid)
        c = self.call("POST", "/api/v1/tickets/%s/comments" % tid,
                      {"body": "Sorry for the trouble.", "standard_response": "vpn-basics"}, status=201)
        t = self.st.ticket(tid)
        self.assertTrue(c["body"].startswith("Sorry for the trouble.\n\nVPN help for Rita Requester (%s)\n\n" % tid))
        self.assertIn("we answer by %s" % when(int(t["fr_due"])), c["body"])
        self.assertEqual(c["standard_response"], "vpn-basics")
        msg = self.wait_mail(tid, "Re: ")
        self.assertEqual(str(msg["Subject"]), "Re: [%s] Remote access broken" % tid)
        body = body_of(msg)
        self.assertTrue(body.startswith(c["body"] + "\n"), body)
        self.assertEqual(body.count("VPN help for"), 1)
        self.assertNotIn("{{", body)
        self.assert_footer_once(body)
        self.st.wait_for(lambda: self.st.ticket(tid).get("fr_state") == "met", what="first response met")
        self.assertTrue(self.st.ticket(tid).get("first_reply_at"))

    def test_agent_send_with_a_variable_without_value_is_refused_and_nothing_stored(self):
        tid = self.submit(subject="Printer jammed", requester={"email": "rita@example.com"})
        self.wait_mail(tid)
        version = self.st.ticket(tid)["version"]
        code, err, _ = self.http.request("POST", "/api/v1/tickets/%s/comments" % tid,
                                         {"body": "Try this.", "standard_response": "vpn-basics"}, AGENT)
        self.assertEqual(code, 422, err)
        e = err["error"]
        self.assertEqual((e["code"], e["key"], e["variable"]), ("invalid", "standard_response", "requester.name"))
        self.assertIn("{{requester.name}}", e["message"])
        self.assertIn("vpn-basics", e["message"])
        # The custom field that is not there: named the same way.
        code, err, _ = self.http.request("POST", "/api/v1/tickets/%s/comments" % tid,
                                         {"standard_response": "laptop-manager"}, AGENT)
        self.assertEqual((code, err["error"]["variable"]), (422, "fields.manager_email"))
        # The command line refuses the same, naming the variable.
        p = self.st.cli("comment", tid, "--standard-response", "vpn-basics", "--as", "alice", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("{{requester.name}}", p.stdout + p.stderr)
        self.assertEqual(self.st.r.llen("opd:t:{%s}:c" % tid), 0)
        self.assertEqual(self.st.ticket(tid)["version"], version)
        self.assertEqual(self.st.ticket(tid)["fr_state"], "running")
        time.sleep(1.0)
        self.assertEqual(self.mails(tid, "Re: "), [])

    def test_command_line_sends_the_same_rendered_response(self):
        tid = self.submit(subject="VPN from home")
        self.wait_mail(tid)
        c = self.st.cli_json("comment", tid, "--standard-response", "vpn-basics", "--as", "alice")
        self.assertTrue(c["body"].startswith("VPN help for Rita Requester (%s)\n\n" % tid), c["body"])
        self.assertNotIn("{{", c["body"])
        body = body_of(self.wait_mail(tid, "Re: "))
        self.assertTrue(body.startswith(c["body"] + "\n"))
        self.assert_footer_once(body)

    # --- suggestions and usage counts ---------------------------------------
    def used(self, response, by):
        return self.metric('opdesk_standard_responses_sent_total{response="%s",by="%s"}' % (response, by))

    def test_suggestions_rank_responses_by_what_matched_with_reasons_and_previews(self):
        tid = self.submit(subject="VPN and laptop trouble", body="Remote  access fails.")
        self.wait_mail(tid)
        got = self.call("GET", "/api/v1/tickets/%s/suggestions" % tid, status=200)
        self.assertEqual(got["ticket_id"], tid)
        items = got["items"]
        self.assertEqual([i["id"] for i in items], ["vpn-basics", "laptop-order"])
        vpn, laptop = items
        self.assertEqual(vpn["reasons"][0], "routing rule 'vpn' routed this ticket and names it")
        self.assertIn("keyword 'vpn' of rule 'vpn' is in the subject", vpn["reasons"])
        self.assertIn("keyword 'remote access' of rule 'vpn' is in the description", vpn["reasons"])
        self.assertGreater(vpn["score"], laptop["score"])
        self.assertEqual(laptop["reasons"], ["keyword 'laptop' of rule 'laptop' is in the subject",
                                             "'laptop' is in the subject of the ticket and of the response"])
        self.assertEqual(laptop["score"], 11)
        self.assertTrue(vpn["preview"].startswith("VPN help for Rita Requester (%s)\n\n" % tid))
        self.assertIsNone(vpn["unavailable"])
        # A preview that could not be sent says which variable has no value.
        self.assertIsNone(laptop["preview"])
        self.assertEqual(laptop["unavailable"]["variable"], "fields.model")
        self.assertEqual(set(vpn["used"]), {"agent", "automatic"})
        # ?all=true lists every response, those that match nothing last, each with its preview.
        every = self.call("GET", "/api/v1/tickets/%s/suggestions?all=true" % tid, status=200)["items"]
        self.assertEqual([i["id"] for i in every], ["vpn-basics", "laptop-order", "laptop-manager"])
        self.assertEqual((every[2]["score"], every[2]["reasons"]), (0, []))
        self.assertEqual(every[2]["unavailable"]["variable"], "fields.manager_email")
        self.call("GET", "/api/v1/tickets/%s/suggestions?al=true" % tid, status=422)
        code, _, _ = self.http.request("GET", "/api/v1/tickets/%s/suggestions" % tid, None, "change-me-requester")
        self.assertEqual(code, 403)
        code, _, _ = self.http.request("GET", "/api/v1/tickets/OPD-999999/suggestions", None, AGENT)
        self.assertEqual(code, 404)

    def test_usage_is_counted_per_response_automatic_and_by_agents(self):
        auto, agent = self.used("vpn-basics", "automatic"), self.used("vpn-basics", "agent")
        tid = self.submit(subject="VPN counts")
        self.wait_mail(tid)
        self.st.wait_for(lambda: self.used("vpn-basics", "automatic") == auto + 1, what="the automatic count")
        self.call("POST", "/api/v1/tickets/%s/comments" % tid, {"standard_response": "vpn-basics"}, status=201)
        self.assertEqual(self.used("vpn-basics", "agent"), agent + 1)
        item = self.call("GET", "/api/v1/tickets/%s/suggestions" % tid, status=200)["items"][0]
        self.assertEqual(item["used"], {"agent": agent + 1, "automatic": auto + 1})
        # A held acknowledgement and a refused send are not counted.
        nameless = self.submit(subject="VPN nameless", requester={"email": "rita@example.com"})
        self.wait_mail(nameless)
        self.call("POST", "/api/v1/tickets/%s/comments" % nameless, {"standard_response": "vpn-basics"},
                  status=422)
        time.sleep(0.5)
        self.assertEqual((self.used("vpn-basics", "automatic"), self.used("vpn-basics", "agent")),
                         (auto + 1, agent + 1))

    def test_reopening_within_7_days_is_counted_for_each_response_sent_on_the_ticket(self):
        def reopened(r):
            return self.metric('opdesk_standard_responses_reopened_total{response="%s"}' % r)
        vpn, laptop = reopened("vpn-basics"), reopened("laptop-order")
        tid = self.submit(subject="VPN reopen")
        self.wait_mail(tid)
        self.st.wait_for(lambda: self.st.ticket(tid).get("stdresp_sent") == "vpn-basics", what="stdresp_sent")
        self.call("POST", "/api/v1/tickets/%s/comments" % tid, {"standard_response": "vpn-basics"}, status=201)
        self.assertEqual(self.st.ticket(tid)["stdresp_sent"], "vpn-basics")  # each response once
        plain = self.submit(subject="Printer reopen")
        for t in (tid, plain):
            self.call("PATCH", "/api/v1/tickets/" + t, {"status": "resolved", "note": "Done."}, status=200)
            self.call("PATCH", "/api/v1/tickets/" + t, {"status": "open"}, status=200)
        self.assertEqual((reopened("vpn-basics"), reopened("laptop-order")), (vpn + 1, laptop))
        item = self.call("GET", "/api/v1/tickets/%s/suggestions" % tid, status=200)["items"][0]
        self.assertEqual((item["id"], item["reopened_within_7_days"]), ("vpn-basics", vpn + 1))

    # --- footers, one test per path ----------------------------------------
    def test_footer_on_the_plain_acknowledgement(self):
        tid = self.submit(subject="Printer on floor 3 is jammed")
        body = body_of(self.wait_mail(tid))
        self.assertIn("logged it with reference", body)
        self.assert_footer_once(body)
        self.assertEqual(body.count(FOOTER), 1)

    def test_footer_on_the_missing_details_request(self):
        tid = self.submit(subject="Need a new machine", request_type="new-laptop",
                          fields={"model": "standard"})
        body = body_of(self.wait_mail(tid))
        self.assertIn("Some details we need", body)
        self.assert_footer_once(body)
        self.assertEqual(body.count(FOOTER), 1)

    def test_footer_once_after_an_agent_reply_that_pretends_to_have_it(self):
        tid = self.submit(subject="Monitor flickers")
        self.wait_mail(tid)
        fake = "Fixed, please check.\n\n-- \n" + FOOTER + "\n"
        self.call("POST", "/api/v1/tickets/%s/comments" % tid, {"body": fake}, status=201)
        body = body_of(self.wait_mail(tid, "Re: "))
        self.assertTrue(body.startswith(fake.rstrip("\n") + "\n" + REAL_FOOTER), body)
        self.assertEqual(body.count(FOOTER), 2)  # the agent's text as written, then the real one

    def test_footer_on_a_standard_response_that_pretends_to_have_it(self):
        tid = self.submit(subject="Keyboard sticky")
        self.wait_mail(tid)
        c = self.call("POST", "/api/v1/tickets/%s/comments" % tid,
                      {"body": "-- \n" + FOOTER, "standard_response": "vpn-basics"}, status=201)
        body = body_of(self.wait_mail(tid, "Re: "))
        self.assertTrue(body.startswith(c["body"]))
        self.assert_footer_once(body)
        self.assertEqual(body.count(FOOTER), 2)

    def test_footer_on_the_resolution_notice(self):
        tid = self.submit(subject="Mouse broken")
        self.wait_mail(tid)
        self.call("PATCH", "/api/v1/tickets/" + tid, {"status": "resolved", "note": "Replaced the mouse."},
                  status=200)
        body = body_of(self.wait_mail(tid, "Resolved: "))
        self.assertIn("Replaced the mouse.", body)
        self.assert_footer_once(body)
        self.assertEqual(body.count(FOOTER), 1)


class ConfigurationTest(unittest.TestCase):
    """Unknown variables and bad guide links stop the configuration, naming the response."""

    def refused(self, response):
        st = harness.Stack([], config=config(), smtp=False)
        st.config["standard_responses"].append(response)
        try:
            st.write_config()
            p = subprocess.run([os.path.join(harness.BIN, "opdesk-notifier"), "--config", st.config_path],
                               capture_output=True, text=True, timeout=30)
        finally:
            st.__exit__(None, None, None)
        self.assertNotEqual(p.returncode, 0)
        return p.stdout + p.stderr

    def test_unknown_variable_is_a_configuration_error_naming_the_response(self):
        out = self.refused({"id": "typo", "body": "Hello {{requester.nmae}}"})
        self.assertIn("'typo'", out)
        self.assertIn("{{requester.nmae}}", out)
        out = self.refused({"id": "subj", "subject": "Re {{ticket.idd}}", "body": "x"})
        self.assertIn("'subj'", out)
        self.assertIn("ticket.idd", out)
        out = self.refused({"id": "open", "body": "Hello {{requester.name"})
        self.assertIn("'open'", out)
        self.assertIn("not closed", out)

    def test_bad_guide_link_is_a_configuration_error_naming_the_response(self):
        for url in ("ftp://wiki.example.org/x", "https://", "wiki.example.org/vpn",
                    "https://wiki.example.org/a guide", "javascript:alert(1)"):
            out = self.refused({"id": "guide", "body": "x", "guide_url": url})
            self.assertIn("'guide'", out, url)
            self.assertIn("guide_url", out, url)


if __name__ == "__main__":
    unittest.main()
