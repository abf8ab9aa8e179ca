#!/usr/bin/python3
"""Writes the seed corpus of fuzz_intake into fuzz/corpus/intake/ (one file per frame).

Valid intake.submit frames that reach every branch of the validation, and
the hostile frames the decoder must refuse. Run again after changing it:
    /usr/bin/python3 fuzz/make_corpus_intake.py
"""
import os

import msgpack

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "intake")


def pack(obj):
    return msgpack.packb(obj, use_bin_type=True)


def base(**over):
    m = {"v": 1, "type": "intake.submit", "channel": "email",
         "external_id": "<m1@example.org>",
         "requester": {"name": "Rita", "email": "rita@example.com"},
         "subject": "Printer jammed", "body": "Error 42."}
    m.update(over)
    return m


def seeds():
    s = {}
    s["valid-minimal"] = pack(base())
    s["valid-phone-only"] = pack(base(requester={"phone": "+442079460000"}, body=None))
    s["valid-full"] = pack(base(
        channel="web", received_at=1764064000000, kind="service_request",
        request_type="new-laptop", priority="P2", impact="high", urgency="low",
        category="hardware/laptop", reply_to="OPD-7", suppress_ack=False,
        fields={"cost_centre": "123456", "model": "developer", "manager_email": "b@example.org",
                "seats": 3, "budget": 1200.5, "urgent": True, "needed_by": "2026-02-28",
                "callback": "+15551234567"},
        attachments=[{"name": "log.txt", "content_type": "text/plain", "size": 12,
                      "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}]))
    s["valid-missing-fields"] = pack(base(request_type="new-laptop", fields={"model": "standard"}))
    s["valid-free-fields"] = pack(base(fields={"asset": "L-1", "floor": 3, "ok": True}))
    s["valid-unicode"] = pack(base(subject="Drucker kaputt \u00e9\U0001f642", body="\u4e2d\u6587"))
    s["valid-unknown-keys"] = pack(base(x_future={"deep": [1, None, "a", b"\x00\xff"]}))
    s["reply-accepted"] = pack({"v": 1, "type": "intake.accepted", "ticket_id": "OPD-42",
                                "created": True})
    s["reply-rejected"] = pack({"v": 1, "type": "intake.rejected", "code": "invalid",
                                "error": "subject is required", "key": "subject"})
    s["bad-version"] = pack(base(v=2))
    s["bad-type"] = pack(base(type="intake.status"))
    s["bad-pattern"] = pack(base(request_type="new-laptop",
                                 fields={"cost_centre": "12", "model": "standard"}))
    s["bad-enum"] = pack(base(request_type="new-laptop",
                              fields={"cost_centre": "123456", "model": "gaming"}))
    s["bad-phone"] = pack(base(requester={"phone": "+0 12"}))
    s["bad-future"] = pack(base(received_at=1764064119000 + 3600000))
    s["bad-category"] = pack(base(category="hardware/phone"))
    s["bad-attachment"] = pack(base(attachments=[{"size": -1}]))
    bad_utf8 = bytearray(pack(base(subject="BAD~UTF8")))
    i = bad_utf8.find(b"BAD~UTF8")
    bad_utf8[i] = 0xC3
    bad_utf8[i + 3] = 0xFF
    s["bad-utf8-subject"] = bytes(bad_utf8)
    s["bad-not-a-map"] = pack([1, 2, 3])
    s["body-too-large"] = pack(base(body="b" * 2100))
    # Hostile frames: lengths that claim more than the frame holds.
    s["hostile-str32-4gb"] = b"\xdb\xff\xff\xff\xff"
    s["hostile-bin32-4gb"] = b"\xc6\xff\xff\xff\xff"
    s["hostile-ext32"] = b"\xc9\xff\xff\xff\xff\x05"
    s["hostile-array32"] = b"\xdd\xff\xff\xff\xff\x01\x02"
    s["hostile-map32"] = b"\xdf\xff\xff\xff\xff\xa1k\x01"
    s["hostile-map-str32-value"] = b"\x81\xa1k\xdb\xff\xff\xff\xff"
    s["hostile-deep"] = b"\x91" * 12 + b"\x90"
    s["hostile-reserved-c1"] = b"\x81\xa1v\xc1"
    full = pack(base())
    s["hostile-trailing"] = full + b"\x00"
    s["hostile-truncated"] = full[: len(full) // 2]
    s["hostile-empty"] = b""
    return s


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(OUT, name + ".mp"), "wb") as f:
            f.write(data)
    print("fuzz corpus: %d seeds in %s" % (len(seeds()), OUT))


if __name__ == "__main__":
    main()
