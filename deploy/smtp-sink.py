#!/usr/bin/python3
"""A small SMTP server for `make run`: accepts every message and keeps it as
one file in a folder, so that acknowledgements and replies can be read
without a real mail system.

    /usr/bin/python3 deploy/smtp-sink.py --port 2525 --dir run/mail

Each message is written as NNNNNN-<time>.eml: the envelope as two header
lines (X-Envelope-From, X-Envelope-To), then the message exactly as
received. Files appear whole (written to a temporary name, then renamed).
SIGTERM or SIGINT stops it cleanly.
"""
import argparse
import os
import signal
import sys
import threading
import time

from aiosmtpd.controller import Controller


class FolderHandler:
    def __init__(self, folder):
        self.folder = folder
        self.lock = threading.Lock()
        self.count = len([n for n in os.listdir(folder) if n.endswith(".eml")])

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        name = "%06d-%s.eml" % (n, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
        tmp = os.path.join(self.folder, "." + name + ".tmp")
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        with open(tmp, "wb") as f:
            f.write(b"X-Envelope-From: " + (envelope.mail_from or "").encode() + b"\r\n")
            f.write(b"X-Envelope-To: " + ", ".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(content)
        os.rename(tmp, os.path.join(self.folder, name))
        # No addresses in the log: the file is the record.
        print("smtp-sink: stored %s recipients=%d bytes=%d" % (name, len(envelope.rcpt_tos),
                                                              len(content)), flush=True)
        return "250 OK stored"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=2525)
    ap.add_argument("--dir", default="run/mail")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    controller = Controller(FolderHandler(args.dir), hostname=args.host, port=args.port)
    try:
        controller.start()
    except Exception as e:  # bind failures and the like: one clear line
        print("smtp-sink: cannot listen on %s:%d: %s" % (args.host, args.port, e),
              file=sys.stderr, flush=True)
        return 1
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    print("smtp-sink: ready smtp://%s:%d dir=%s" % (args.host, args.port, args.dir), flush=True)
    while not stop.wait(1.0):
        pass
    controller.stop()
    print("smtp-sink: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
