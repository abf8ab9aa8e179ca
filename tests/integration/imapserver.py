"""A throwaway Dovecot IMAP server on a free loopback port, for the tests of
opdesk-email (and bench/bench-mail.py). One user with a plain password in a
passwd-file; mail is delivered by writing Maildir files, as an MTA would.

    with Dovecot() as dv:
        dv.deliver(raw_bytes)
        dv.url            # imap://127.0.0.1:PORT/INBOX
        dv.imap()         # an imaplib connection, logged in
"""
import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time

import harness

DOVECOT = "/usr/sbin/dovecot"


class Dovecot:
    USER = "desk"
    PASSWORD = "s3cret-desk"

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="opdesk-dovecot-")
        # Dovecot's unprivileged processes must reach the folder.
        os.chmod(self.tmp, 0o755)
        self.port = harness.free_port()
        self.proc = None
        self.seq = 0
        if os.geteuid() == 0:
            # Dovecot never gives mail access to root: the mail belongs to nobody.
            nobody = pwd.getpwnam("nobody")
            self.uid, self.gid = nobody.pw_uid, nobody.pw_gid
            self.login_user, self.internal_user = "dovenull", "dovecot"
        else:
            me = pwd.getpwuid(os.geteuid())
            self.uid, self.gid = me.pw_uid, os.getegid()
            self.login_user = self.internal_user = me.pw_name
        self.maildir = os.path.join(self.tmp, "mail", self.USER)

    @property
    def url(self):
        return "imap://127.0.0.1:%d/INBOX" % self.port

    def _conf(self):
        t = self.tmp
        return f"""
base_dir = {t}/run
state_dir = {t}/run
log_path = {t}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{t}/mail/%u
default_login_user = {self.login_user}
default_internal_user = {self.internal_user}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {t}/passwd
}}
userdb {{
  driver = static
  args = uid={self.uid} gid={self.gid} home={t}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
"""

    def _chown(self, path):
        if os.geteuid() == 0:
            os.chown(path, self.uid, self.gid)

    def start(self):
        for d in ("run", "home", "mail", os.path.join("home", self.USER)):
            os.makedirs(os.path.join(self.tmp, d), exist_ok=True)
        for d in ("home", "mail", os.path.join("home", self.USER)):
            self._chown(os.path.join(self.tmp, d))
        self.make_folder("")
        with open(os.path.join(self.tmp, "passwd"), "w") as f:
            f.write("%s:{PLAIN}%s\n" % (self.USER, self.PASSWORD))
        os.chmod(os.path.join(self.tmp, "passwd"), 0o644)
        conf = os.path.join(self.tmp, "dovecot.conf")
        with open(conf, "w") as f:
            f.write(self._conf())
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", conf], stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.tmp, "dovecot.out"), "w"))
        end = time.time() + 15
        while time.time() < end:
            try:
                self.imap().logout()
                return self
            except (OSError, imaplib.IMAP4.error):
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError("dovecot did not start:\n" + self.log())

    def log(self):
        out = ""
        for name in ("dovecot.out", "dovecot.log"):
            try:
                with open(os.path.join(self.tmp, name)) as f:
                    out += f.read()
            except FileNotFoundError:
                pass
        return out

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return False

    def make_folder(self, name):
        """A Maildir++ folder ("" is INBOX)."""
        base = self.maildir if not name else os.path.join(self.maildir, "." + name)
        for d in ("", "cur", "new", "tmp"):
            p = os.path.join(base, d)
            os.makedirs(p, exist_ok=True)
            self._chown(p)

    def deliver(self, data, folder=""):
        """Delivers one message the Maildir way: written in tmp/, renamed into new/."""
        self.seq += 1
        base = self.maildir if not folder else os.path.join(self.maildir, "." + folder)
        name = "%d.M%dP%d.opdesk-test" % (int(time.time()), self.seq, os.getpid())
        tmp = os.path.join(base, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(data)
        self._chown(tmp)
        os.rename(tmp, os.path.join(base, "new", name))

    def imap(self):
        c = imaplib.IMAP4("127.0.0.1", self.port)
        c.login(self.USER, self.PASSWORD)
        return c

    def uids(self, folder="INBOX", criteria="ALL"):
        c = self.imap()
        try:
            c.select(folder)
            typ, data = c.uid("SEARCH", None, criteria)
            return [int(x) for x in data[0].split()] if data and data[0] else []
        finally:
            c.logout()

    def config(self, **extra):
        """The channels.email.imap entry for opdesk."""
        m = {"url": self.url, "username": self.USER, "password": self.PASSWORD, "interval": "1s"}
        m.update(extra)
        return m
