#!/usr/bin/env python3
"""A channel adapter that submits one request to opdesk-intake over CURVE.

Its key pair and the server's public key are czmq certificate files, as
`opdesk keygen NAME` (or pyzmq's zmq.auth.create_certificates) writes them:

    opdesk keygen chat --dir ./keys          # keys/chat.key, keys/chat.key_secret
    cp keys/chat.key /etc/opdesk/curve/clients/   # the operator allow-lists it
    python3 adapter_curve.py --endpoint tcp://desk.example.org:5550 \
        --key keys/chat.key_secret --server-key /etc/opdesk/curve/server.key

It prints intake's reply as JSON and exits 0 when the request was accepted,
1 when it was rejected, 3 when intake did not answer in time (a key that is
not allow-listed is refused during the handshake: intake never answers).
Needs python3-zmq (pyzmq) and python3-msgpack.
"""
import argparse
import json
import sys
import time
import uuid

import msgpack
import zmq
import zmq.auth


def connect(ctx, endpoint, key_file, server_key_file):
    """A REQ socket, CURVE client of intake: our key pair, intake's public key."""
    public, secret = zmq.auth.load_certificate(key_file)
    if secret is None:
        raise SystemExit("%s holds no secret key: give the NAME.key_secret file" % key_file)
    server_public, _ = zmq.auth.load_certificate(server_key_file)
    sock = ctx.socket(zmq.REQ)
    sock.curve_publickey = public
    sock.curve_secretkey = secret
    sock.curve_serverkey = server_public
    sock.linger = 0
    sock.connect(endpoint)
    return sock


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--endpoint", default="tcp://127.0.0.1:5550")
    ap.add_argument("--key", required=True, help="this adapter's NAME.key_secret")
    ap.add_argument("--server-key", required=True, help="intake's public certificate")
    ap.add_argument("--channel", default="chat", help="the adapter's channel name")
    ap.add_argument("--subject", default="VPN is down")
    ap.add_argument("--email", default="rita@example.com")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for intake")
    args = ap.parse_args()

    ctx = zmq.Context()
    sock = connect(ctx, args.endpoint, args.key, args.server_key)
    try:
        sock.send(msgpack.packb({
            "v": 1, "type": "intake.submit",
            "channel": args.channel,
            "external_id": "chat-%s" % uuid.uuid4(),  # your own id: resend it on a timeout
            "received_at": int(time.time() * 1000),
            "requester": {"name": "Rita", "email": args.email},
            "subject": args.subject,
        }))
        if not sock.poll(int(args.timeout * 1000)):
            print(json.dumps({"error": "intake did not answer within %gs" % args.timeout}))
            return 3
        reply = msgpack.unpackb(sock.recv(), raw=False)
        print(json.dumps(reply))
        return 0 if reply.get("type") == "intake.accepted" else 1
    finally:
        sock.close(0)
        ctx.term()


if __name__ == "__main__":
    sys.exit(main())
