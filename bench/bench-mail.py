#!/usr/bin/python3
"""The mail benchmarks of BENCHMARKS.md, against a private stack (intake and
router, a private Redis) on loopback:

  1. opdesk-mailgate: N messages, one process per message as an MTA runs
     it (process start, configuration, Redis, intake round trip counted),
     driven by xargs -P P through sh -c 'opdesk-mailgate < file'.
  2. opdesk-email: N messages delivered into a throwaway Dovecot mailbox,
     then the poller is started; the clock runs until the last ticket exists
     and the mailbox is empty.

    OPDESK_BIN=build/bin /usr/bin/python3 bench/bench-mail.py [N] [P]
"""
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
os.environ.setdefault("OPDESK_SOURCE", os.path.join(HERE, ".."))

import harness  # noqa: E402
from harness import Stack  # noqa: E402
from imapserver import Dovecot  # noqa: E402


def mail(i, tag):
    return ("From: Bench User %d <bench%d@example.com>\r\nTo: servicedesk@example.org\r\n"
            "Subject: =?UTF-8?Q?Drucker_f=C3=A4llt_aus_%d?=\r\nMessage-ID: <%s-%d@example.com>\r\n"
            "Date: Tue, 3 Mar 2026 09:14:22 +0000\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n"
            "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe printer on floor %d is down.\r\n"
            "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>The printer on floor %d is down.</p>\r\n--b--\r\n"
            % (i % 50, i % 50, i, tag, i, i, i)).encode()


def config(extra_imap=None):
    cfg = harness.copy_config()
    cfg["channels"] = {"email": {"addresses": ["servicedesk@example.org"],
                                 "rate_limit": {"per_sender": 1000000, "window": "1h"}}}
    if extra_imap:
        cfg["channels"]["email"]["imap"] = [extra_imap]
    return cfg


def bench_mailgate(n, par):
    with Stack(["intake", "router"], config=config(), smtp=False) as st:
        d = tempfile.mkdtemp(prefix="opdesk-bench-mail-")
        files = []
        for i in range(n):
            p = os.path.join(d, "%06d.eml" % i)
            with open(p, "wb") as f:
                f.write(mail(i, "gate"))
            files.append(p)
        gate = os.path.join(harness.BIN, "opdesk-mailgate")
        # One process alone, for the start-up cost.
        t0 = time.perf_counter()
        for p in files[:50]:
            with open(p, "rb") as f:
                subprocess.run([gate, "--config", st.config_path], stdin=f, stderr=subprocess.DEVNULL, check=True)
        single = (time.perf_counter() - t0) / 50
        listing = "\n".join(files[50:]) + "\n"
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(["xargs", "-P", str(par), "-I", "{}", "sh", "-c",
                        "exec %s --config %s < {} 2>/dev/null" % (gate, st.config_path)],
                       input=listing.encode(), check=True)
        secs = time.perf_counter() - t0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        created = int(st.r.get("opd:seq") or 0)
        print("mailgate: %d messages, %d created, one at a time %.1f ms each; "
              "%d with xargs -P%d in %.2f s: %.0f messages/s; CPU %.2f ms per message "
              "(mailgate and sh; %.0f messages/s per busy core); load average %.1f"
              % (n, created, single * 1000, n - 50, par, secs, (n - 50) / secs, cpu * 1000 / (n - 50),
                 (n - 50) / cpu, os.getloadavg()[0]))


def bench_imap(n):
    with Dovecot() as dv:
        with Stack(["intake", "router"], config=config(dv.config(interval="1s")), smtp=False) as st:
            for i in range(n):
                dv.deliver(mail(i, "imap"))
            t0 = time.perf_counter()
            st.start("email")
            st.wait_for(lambda: int(st.r.get("opd:seq") or 0) >= n, timeout=600, interval=0.01,
                        what="every ticket")
            secs = time.perf_counter() - t0
            with open("/proc/%d/stat" % st.procs["email"].pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            st.wait_for(lambda: dv.uids() == [], timeout=120, what="the mailbox to be empty")
            total = time.perf_counter() - t0
            print("imap poller: %d messages in %.2f s to the last ticket: %.0f messages/s "
                  "(%.2f s until expunged: %.0f messages/s); opdesk-email CPU %.2f s; load average %.1f"
                  % (n, secs, n / secs, total, n / total, cpu, os.getloadavg()[0]))


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    par = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    bench_mailgate(n, par)
    bench_imap(max(n, 2000))
