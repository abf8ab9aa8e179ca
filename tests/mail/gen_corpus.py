#!/usr/bin/python3
"""Writes the mail corpus of tests/mail/: real-world-shaped messages (the
header layouts and MIME structures of Outlook, Gmail, Apple Mail and
Thunderbird, several charsets, HTML-only mail, attachments, replies,
auto-replies, bounces and malformed input) and expected.json, the outcome
each must have when piped through opdesk-mailgate in file-name order into an
empty store (test_mailgate.py checks it).

The .eml files are committed; run this again only to change the corpus:
    /usr/bin/python3 tests/mail/gen_corpus.py
"""
import base64
import hashlib
import json
import os
import quopri

HERE = os.path.dirname(os.path.abspath(__file__))
corpus = []          # (file name, bytes, expected)


def qp(text, charset):
    return quopri.encodestring(text.encode(charset)).decode("ascii")


def b64(data, width=76):
    s = base64.b64encode(data).decode("ascii")
    return "\r\n".join(s[i:i + width] for i in range(0, len(s), width))


def ew(text, charset, enc="B"):
    """An RFC 2047 encoded word."""
    raw = text.encode(charset)
    if enc == "B":
        return "=?%s?B?%s?=" % (charset, base64.b64encode(raw).decode())
    q = "".join(chr(c) if (0x30 <= c <= 0x39 or 0x41 <= c <= 0x5a or 0x61 <= c <= 0x7a)
                else "_" if c == 0x20 else "=%02X" % c for c in raw)
    return "=?%s?Q?%s?=" % (charset, q)


def add(name, headers, body, expected):
    """headers: list of "Name: value" (str); body: str or bytes."""
    head = "\r\n".join(headers).encode("utf-8") + b"\r\n\r\n"
    if isinstance(body, str):
        body = body.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
    corpus.append((name, head + body, expected))


def att(name, ctype, data, stored=True):
    return {"name": name, "content_type": ctype, "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "stored": stored}


DATE = "Date: Tue, 3 Mar 2026 09:14:22 +0000"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" * 3
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
DOCX = b"PK\x03\x04" + bytes(range(256)) * 4
BIG = bytes((i * 7919) % 251 for i in range(200 * 1024))

# --- 01 Outlook: multipart/alternative, Windows-1252 QP, encoded From and Subject, Cc
text = "Hello,\n\nmy laptop won\u2019t boot since this morning \u2013 the screen stays black.\nI need it for the \u20ac budget meeting at 14:00.\n\nRegards\nHans M\u00fcller\n"
html = "<html><head><style>p.MsoNormal{margin:0}</style></head><body><p class=MsoNormal>Hello,</p><p class=MsoNormal>my laptop won&#8217;t boot since this morning</p></body></html>"
add("01-outlook-new.eml", [
    "Received: from EUR01-DB5-obe.outbound.protection.outlook.com (mail-db5eur01on2101.outbound.protection.outlook.com [40.107.15.101]) by mx.example.org; Tue, 3 Mar 2026 09:14:25 +0000",
    "From: %s <hans.mueller@example.com>" % ew("M\u00fcller, Hans", "iso-8859-1", "Q"),
    "To: Service Desk <servicedesk@example.org>",
    "CC: Kim Lee <kim@example.com>, \"Pat\" <PAT@Example.com>",
    "Subject: %s" % ew("Laptop won\u2019t boot", "windows-1252", "Q"),
    "Thread-Topic: Laptop won't boot", "Thread-Index: AdmE5n3kq0m1l8y0T0eK1w==",
    DATE, "Message-ID: <AM0PR07MB4417C2D1E0@AM0PR07MB4417.eurprd07.prod.outlook.com>",
    "Accept-Language: de-DE, en-US", "Content-Language: en-US", "X-MS-Has-Attach:",
    "MIME-Version: 1.0",
    "Content-Type: multipart/alternative; boundary=\"_000_AM0PR07MB4417_\""],
    "--_000_AM0PR07MB4417_\nContent-Type: text/plain; charset=\"windows-1252\"\nContent-Transfer-Encoding: quoted-printable\n\n"
    + qp(text, "windows-1252") + "\n--_000_AM0PR07MB4417_\nContent-Type: text/html; charset=\"windows-1252\"\nContent-Transfer-Encoding: quoted-printable\n\n"
    + qp(html, "windows-1252") + "\n--_000_AM0PR07MB4417_--\n",
    {"outcome": "created", "subject": "Laptop won\u2019t boot", "requester": "hans.mueller@example.com",
     "name": "M\u00fcller, Hans", "body": ["won\u2019t boot", "\u20ac budget", "Hans M\u00fcller"],
     "body_not": ["MsoNormal"], "participants": ["kim@example.com", "pat@example.com"]})

# --- 02 Gmail: alternative, UTF-8 base64, emoji
text = "Hi team,\n\nthe VPN drops every 10 minutes \U0001F62D since the update.\n\nThanks,\nGreta\n"
html = "<div dir=\"ltr\">Hi team,<div><br></div><div>the VPN drops every 10 minutes \U0001F62D since the update.</div></div>"
add("02-gmail-new.eml", [
    "MIME-Version: 1.0", DATE, "Message-ID: <CAHk7nV0qQ+ZxUo3Q5c=dB2Kf8sYyJ9@mail.gmail.com>",
    "Subject: VPN keeps dropping", "From: Greta Berg <greta.berg@gmail.com>",
    "To: servicedesk@example.org",
    "Content-Type: multipart/alternative; boundary=\"000000000000a1b2c3d4e5f6\""],
    "--000000000000a1b2c3d4e5f6\nContent-Type: text/plain; charset=\"UTF-8\"\nContent-Transfer-Encoding: base64\n\n"
    + b64(text.encode()) + "\n--000000000000a1b2c3d4e5f6\nContent-Type: text/html; charset=\"UTF-8\"\nContent-Transfer-Encoding: base64\n\n"
    + b64(html.encode()) + "\n--000000000000a1b2c3d4e5f6--\n",
    {"outcome": "created", "subject": "VPN keeps dropping", "requester": "greta.berg@gmail.com",
     "name": "Greta Berg", "body": ["VPN drops every 10 minutes \U0001F62D"], "body_not": ["<div"]})

# --- 03 Apple Mail: mixed > alternative + PDF
add("03-apple-new.eml", [
    "Content-Type: multipart/mixed; boundary=\"Apple-Mail=_5B2E4C1A-9F0D-4B7A-8E31-2D6C1F0A9B11\"",
    "Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3731.700.6\\))",
    "Subject: Printer on floor 3 prints blank pages", DATE,
    "Message-Id: <7F1C2A9E-3B4D-4E5F-8A6B-1C2D3E4F5A6B@icloud.com>",
    "To: servicedesk@example.org", "From: Ola Nordmann <ola@icloud.com>", "X-Mailer: Apple Mail (2.3731.700.6)"],
    "\n--Apple-Mail=_5B2E4C1A-9F0D-4B7A-8E31-2D6C1F0A9B11\nContent-Type: multipart/alternative;\n\tboundary=\"Apple-Mail=_ALT1\"\n\n\n"
    "--Apple-Mail=_ALT1\nContent-Transfer-Encoding: 7bit\nContent-Type: text/plain;\n\tcharset=us-ascii\n\n"
    "The printer on floor 3 prints blank pages.\nTest page attached.\n\nOla\n\n"
    "--Apple-Mail=_ALT1\nContent-Transfer-Encoding: 7bit\nContent-Type: text/html;\n\tcharset=us-ascii\n\n"
    "<html><body>The printer on floor 3 prints blank pages.</body></html>\n--Apple-Mail=_ALT1--\n\n"
    "--Apple-Mail=_5B2E4C1A-9F0D-4B7A-8E31-2D6C1F0A9B11\nContent-Disposition: attachment;\n\tfilename=testpage.pdf\n"
    "Content-Type: application/pdf;\n\tx-unix-mode=0644;\n\tname=\"testpage.pdf\"\nContent-Transfer-Encoding: base64\n\n"
    + b64(PDF) + "\n--Apple-Mail=_5B2E4C1A-9F0D-4B7A-8E31-2D6C1F0A9B11--\n",
    {"outcome": "created", "subject": "Printer on floor 3 prints blank pages", "requester": "ola@icloud.com",
     "body": ["prints blank pages.\nTest page attached."], "body_not": ["<html>"],
     "attachments": [att("testpage.pdf", "application/pdf", PDF)]})

# --- 04 Thunderbird: text/plain format=flowed, 8bit UTF-8
add("04-thunderbird-new.eml", [
    "Message-ID: <3f1e2d4c-5b6a-4798-8c1d-0e2f3a4b5c6d@posteo.de>", DATE, "MIME-Version: 1.0",
    "User-Agent: Mozilla Thunderbird", "Content-Language: de-DE", "To: servicedesk@example.org",
    "From: =?UTF-8?Q?J=C3=BCrgen_Wei=C3=9F?= <juergen.weiss@posteo.de>",
    "Subject: =?UTF-8?Q?Zugang_zum_Laufwerk_=C3=BC_fehlt?=",
    "Content-Type: text/plain; charset=UTF-8; format=flowed", "Content-Transfer-Encoding: 8bit"],
    "Hallo,\n\nich habe seit gestern keinen Zugriff mehr auf das Laufwerk \u00dc:\\Projekte. \nK\u00f6nnt ihr das bitte pr\u00fcfen?\n\nGr\u00fc\u00dfe\nJ\u00fcrgen\n",
    {"outcome": "created", "subject": "Zugang zum Laufwerk \u00fc fehlt", "requester": "juergen.weiss@posteo.de",
     "name": "J\u00fcrgen Wei\u00df", "body": ["K\u00f6nnt ihr das bitte pr\u00fcfen?", "Gr\u00fc\u00dfe"]})

# --- 05 HTML-only (a web mailer): entities, lists, script and style dropped
html = ("<!DOCTYPE html><html><head><title>ignored title</title><style>body{font:12px}</style>"
        "<script>alert('x')</script></head><body><p>Dear support,</p><p>Outlook shows &quot;Disconnected&quot; &amp; "
        "I can&#39;t send mail.<br>Steps tried:</p><ul><li>restarted</li><li>re-entered the password</li></ul>"
        "<p>Caf&eacute; &euro; 5 &lt;test&gt;&nbsp;done</p><!-- a comment --><div>Best,<br>Sam</div></body></html>")
add("05-html-only.eml", [
    "From: Sam Taylor <sam.taylor@yahoo.com>", "To: servicedesk@example.org",
    "Subject: Outlook disconnected", DATE, "Message-ID: <1234567890.98765.1709457262@mail.yahoo.com>",
    "MIME-Version: 1.0", "Content-Type: text/html; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable"],
    qp(html, "utf-8"),
    {"outcome": "created", "subject": "Outlook disconnected", "requester": "sam.taylor@yahoo.com",
     "body": ["Dear support,", "Outlook shows \"Disconnected\" & I can't send mail.\nSteps tried:",
              "- restarted\n- re-entered the password", "Caf\u00e9 \u20ac 5 <test> done", "Best,\nSam"],
     "body_not": ["alert", "font:12px", "ignored title", "a comment", "<p>", "&amp;"]})

# --- 06 ISO-8859-1 quoted-printable
add("06-latin1.eml", [
    "From: =?ISO-8859-1?Q?Fran=E7ois_Lef=E8vre?= <francois@example.fr>", "To: servicedesk@example.org",
    "Subject: =?ISO-8859-1?Q?Probl=E8me_d'acc=E8s_=E0_l'imprimante?=", DATE,
    "Message-ID: <20260303091422.GA1234@example.fr>", "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=ISO-8859-1", "Content-Transfer-Encoding: quoted-printable"],
    qp("Bonjour,\n\nje n'arrive plus \u00e0 imprimer depuis le r\u00e9seau. Merci d'avance.\n\nFran\u00e7ois\n", "iso-8859-1"),
    {"outcome": "created", "subject": "Probl\u00e8me d'acc\u00e8s \u00e0 l'imprimante", "requester": "francois@example.fr",
     "name": "Fran\u00e7ois Lef\u00e8vre", "body": ["je n'arrive plus \u00e0 imprimer depuis le r\u00e9seau"]})

# --- 07 Windows-1252 8bit: curly quotes, euro, en dash
add("07-win1252.eml", [
    "From: Dana Smith <dana@example.co.uk>", "To: servicedesk@example.org",
    "Subject: Invoice tool shows wrong totals", DATE, "Message-ID: <001a01d86e4f$3c2b1a00$b4814e00$@example.co.uk>",
    "MIME-Version: 1.0", "Content-Type: text/plain; charset=\"windows-1252\"", "Content-Transfer-Encoding: 8bit",
    "X-Mailer: Microsoft Outlook 16.0"],
    "The \u201cTotals\u201d column shows \u20ac0 \u2013 should be \u20ac1,250.\n\nDana\n".encode("windows-1252"),
    {"outcome": "created", "subject": "Invoice tool shows wrong totals", "requester": "dana@example.co.uk",
     "body": ["The \u201cTotals\u201d column shows \u20ac0 \u2013 should be \u20ac1,250."]})

# --- 08 ISO-2022-JP (7bit JIS, as Japanese mailers send it)
jp_subject = "\u30d1\u30b9\u30ef\u30fc\u30c9\u306e\u518d\u8a2d\u5b9a"
jp_body = "\u304a\u75b2\u308c\u69d8\u3067\u3059\u3002\n\u30d1\u30b9\u30ef\u30fc\u30c9\u3092\u518d\u8a2d\u5b9a\u3057\u3066\u304f\u3060\u3055\u3044\u3002\n\n\u5c71\u7530\n"
add("08-iso2022jp.eml", [
    "From: =?ISO-2022-JP?B?%s?= <yamada@example.jp>" % base64.b64encode("\u5c71\u7530\u592a\u90ce".encode("iso-2022-jp")).decode(),
    "To: servicedesk@example.org", "Subject: %s" % ew(jp_subject, "iso-2022-jp"), DATE,
    "Message-ID: <20260303181422.5A1B.YAMADA@example.jp>", "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=ISO-2022-JP", "Content-Transfer-Encoding: 7bit", "X-Mailer: Becky! ver. 2.75.04"],
    jp_body.encode("iso-2022-jp"),
    {"outcome": "created", "subject": jp_subject, "requester": "yamada@example.jp", "name": "\u5c71\u7530\u592a\u90ce",
     "body": ["\u30d1\u30b9\u30ef\u30fc\u30c9\u3092\u518d\u8a2d\u5b9a\u3057\u3066\u304f\u3060\u3055\u3044\u3002"]})

# --- 09 Shift_JIS base64
sj_subject = "\u30d7\u30ea\u30f3\u30bf\u30fc\u304c\u52d5\u304d\u307e\u305b\u3093"
add("09-shiftjis.eml", [
    "From: Sato <sato@example.jp>", "To: servicedesk@example.org",
    "Subject: %s" % ew(sj_subject, "shift_jis"), DATE, "Message-ID: <sj-0001@example.jp>", "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=Shift_JIS", "Content-Transfer-Encoding: base64"],
    b64("\u4f50\u85e4\u3067\u3059\u3002\u30d7\u30ea\u30f3\u30bf\u30fc\u304c\u52d5\u304d\u307e\u305b\u3093\u3002\n".encode("shift_jis")) + "\n",
    {"outcome": "created", "subject": sj_subject, "requester": "sato@example.jp",
     "body": ["\u4f50\u85e4\u3067\u3059\u3002\u30d7\u30ea\u30f3\u30bf\u30fc\u304c\u52d5\u304d\u307e\u305b\u3093\u3002"]})

# --- 10 KOI8-R
ru_subject = "\u041d\u0435 \u0440\u0430\u0431\u043e\u0442\u0430\u0435\u0442 \u043f\u043e\u0447\u0442\u0430"
ru_body = "\u0417\u0434\u0440\u0430\u0432\u0441\u0442\u0432\u0443\u0439\u0442\u0435! \u041f\u043e\u0447\u0442\u0430 \u043d\u0435 \u043e\u0442\u043f\u0440\u0430\u0432\u043b\u044f\u0435\u0442\u0441\u044f.\n"
add("10-koi8r.eml", [
    "From: %s <ivan@example.ru>" % ew("\u0418\u0432\u0430\u043d \u041f\u0435\u0442\u0440\u043e\u0432", "koi8-r"),
    "To: servicedesk@example.org", "Subject: %s" % ew(ru_subject, "koi8-r"), DATE,
    "Message-ID: <koi8-0001@example.ru>", "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=koi8-r", "Content-Transfer-Encoding: 8bit"],
    ru_body.encode("koi8-r"),
    {"outcome": "created", "subject": ru_subject, "requester": "ivan@example.ru",
     "name": "\u0418\u0432\u0430\u043d \u041f\u0435\u0442\u0440\u043e\u0432", "body": [ru_body.strip()]})

# --- 11 Nested: mixed > related > alternative, inline image, a .docx
add("11-nested-multipart.eml", [
    "From: Lee Chen <lee.chen@example.com>", "To: servicedesk@example.org", "Subject: New starter: accounts needed",
    DATE, "Message-ID: <nested-0001@example.com>", "MIME-Version: 1.0",
    "Content-Type: multipart/mixed; boundary=\"outer\""],
    "This is a multi-part message in MIME format.\n--outer\nContent-Type: multipart/related; boundary=\"rel\"\n\n"
    "--rel\nContent-Type: multipart/alternative; boundary=\"alt\"\n\n"
    "--alt\nContent-Type: text/plain; charset=utf-8\n\nPlease create accounts for our new starter.\nForm attached.\n"
    "--alt\nContent-Type: text/html; charset=utf-8\n\n<p>Please create accounts for our new starter.</p><img src=\"cid:logo@x\">\n--alt--\n"
    "--rel\nContent-Type: image/png; name=\"logo.png\"\nContent-ID: <logo@x>\nContent-Disposition: inline; filename=\"logo.png\"\nContent-Transfer-Encoding: base64\n\n"
    + b64(PNG) + "\n--rel--\n"
    "--outer\nContent-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document; name=\"starter-form.docx\"\n"
    "Content-Disposition: attachment; filename=\"starter-form.docx\"\nContent-Transfer-Encoding: base64\n\n"
    + b64(DOCX) + "\n--outer--\n",
    {"outcome": "created", "subject": "New starter: accounts needed", "requester": "lee.chen@example.com",
     "body": ["Please create accounts for our new starter.\nForm attached."], "body_not": ["<p>", "cid:"],
     "attachments": [att("logo.png", "image/png", PNG),
                     att("starter-form.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", DOCX)]})

# --- 12 One attachment over the stored size (recorded, not stored) and one under it
add("12-attachment-big.eml", [
    "From: Max Power <max@example.com>", "To: servicedesk@example.org", "Subject: Logs from the crash",
    DATE, "Message-ID: <big-0001@example.com>", "MIME-Version: 1.0",
    "Content-Type: multipart/mixed; boundary=\"b1\""],
    "--b1\nContent-Type: text/plain\n\nTwo files attached.\n"
    "--b1\nContent-Type: application/octet-stream; name=\"core.bin\"\nContent-Disposition: attachment; filename=\"core.bin\"\nContent-Transfer-Encoding: base64\n\n"
    + b64(BIG) + "\n--b1\nContent-Type: text/plain; name=\"notes.txt\"\nContent-Disposition: attachment; filename=\"notes.txt\"\n\nnotes in a file\n"
    "--b1--\n",
    {"outcome": "created", "subject": "Logs from the crash", "requester": "max@example.com", "body": ["Two files attached."],
     "body_not": ["notes in a file"],
     "attachments": [att("core.bin", "application/octet-stream", BIG, stored=False),
                     att("notes.txt", "text/plain", b"notes in a file")]})

# --- 13 Thunderbird reply by subject tag, quoted below ("On ... wrote:" + "> ")
add("13-reply-tag.eml", [
    "Message-ID: <reply-13@example.com>", DATE, "MIME-Version: 1.0", "User-Agent: Mozilla Thunderbird",
    "Subject: Re: [OPD-1] Laptop won\u2019t boot".encode("utf-8").decode("utf-8"),
    "From: Hans Mueller <Hans.Mueller@example.com>", "To: servicedesk@example.org",
    "Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: 8bit"],
    "It boots again after I removed the docking station.\n\nOn 03.03.26 10:20, Service Desk wrote:\n> We are looking into it.\n> Please try without the dock.\n",
    {"outcome": "comment", "target": "01-outlook-new.eml", "requester": "hans.mueller@example.com",
     "body": ["It boots again after I removed the docking station."], "body_not": ["We are looking into it", "wrote:"]})

# --- 14 Gmail reply by In-Reply-To, wrapped attribution
add("14-reply-in-reply-to.eml", [
    "MIME-Version: 1.0", DATE, "References: <CAHk7nV0qQ+ZxUo3Q5c=dB2Kf8sYyJ9@mail.gmail.com>",
    "In-Reply-To: <CAHk7nV0qQ+ZxUo3Q5c=dB2Kf8sYyJ9@mail.gmail.com>",
    "Message-ID: <CAHk7nV1replyZZ@mail.gmail.com>", "Subject: Re: VPN keeps dropping",
    "From: Greta Berg <greta.berg@gmail.com>", "To: servicedesk@example.org",
    "Content-Type: text/plain; charset=\"UTF-8\""],
    "Still happening today at 09:00.\n\nOn Tue, 3 Mar 2026 at 09:14, Greta Berg <\ngreta.berg@gmail.com> wrote:\n\n> Hi team,\n>\n> the VPN drops every 10 minutes since the update.\n",
    {"outcome": "comment", "target": "02-gmail-new.eml", "requester": "greta.berg@gmail.com",
     "body": ["Still happening today at 09:00."], "body_not": ["Hi team", "wrote:"]})

# --- 15 Apple Mail reply: In-Reply-To unknown, References hold the known id
add("15-reply-references.eml", [
    "Content-Type: text/plain; charset=us-ascii", "Content-Transfer-Encoding: 7bit", "Mime-Version: 1.0 (Mac OS X Mail 16.0)",
    "Subject: Re: Printer on floor 3 prints blank pages", DATE,
    "References: <old-unknown@elsewhere.example> <7F1C2A9E-3B4D-4E5F-8A6B-1C2D3E4F5A6B@icloud.com> <newest-unknown@elsewhere.example>",
    "In-Reply-To: <newest-unknown@elsewhere.example>", "Message-Id: <A1B2C3D4-reply15@icloud.com>",
    "To: servicedesk@example.org", "From: Ola Nordmann <ola@icloud.com>"],
    "Now it prints half pages.\n\n> On 3 Mar 2026, at 09:14, Someone <someone@example.com> wrote:\n> \n> Did you try another tray?\n",
    {"outcome": "comment", "target": "03-apple-new.eml", "requester": "ola@icloud.com",
     "body": ["Now it prints half pages."], "body_not": ["another tray"]})

# --- 16 Reply to the desk's own notification (its Message-ID names the ticket)
add("16-reply-notifier-msgid.eml", [
    "Message-ID: <reply-16@posteo.de>", DATE, "MIME-Version: 1.0",
    "In-Reply-To: <opdesk.OPD-4.7@example.org>", "References: <opdesk.OPD-4.7@example.org>",
    "From: juergen.weiss@posteo.de", "To: servicedesk@example.org", "Subject: AW: Ihre Anfrage",
    "Content-Type: text/plain; charset=UTF-8"],
    "Danke, jetzt geht es.\n\nAm 03.03.2026 um 10:00 schrieb Service Desk:\n> Bitte erneut anmelden.\n",
    {"outcome": "comment", "target": "04-thunderbird-new.eml", "requester": "juergen.weiss@posteo.de",
     "body": ["Danke, jetzt geht es."], "body_not": ["erneut anmelden", "schrieb"]})

# --- 17 Outlook reply: "-----Original Message-----"
add("17-outlook-reply-original.eml", [
    "From: =?ISO-8859-1?Q?Fran=E7ois_Lef=E8vre?= <francois@example.fr>", "To: servicedesk@example.org",
    "Subject: RE: [OPD-6] Probleme", DATE, "Message-ID: <reply-17@example.fr>", "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=\"us-ascii\"", "X-Mailer: Microsoft Outlook 16.0"],
    "Yes, from the 2nd floor printer.\n\n-----Original Message-----\nFrom: Service Desk <servicedesk@example.org>\nSent: Tuesday, March 3, 2026 10:00 AM\nTo: Francois\nSubject: [OPD-6] Probleme\n\nWhich printer?\n",
    {"outcome": "comment", "target": "06-latin1.eml", "requester": "francois@example.fr",
     "body": ["Yes, from the 2nd floor printer."], "body_not": ["Which printer", "Original Message"]})

# --- 18 Outlook (German) reply: rule line, "Von: ... Gesendet:" block, HTML alternative
add("18-outlook-reply-fromsent.eml", [
    "From: Dana Smith <dana@example.co.uk>", "To: \"servicedesk@example.org\" <servicedesk@example.org>",
    "Subject: AW: [OPD-7] Invoice tool shows wrong totals", DATE, "Message-ID: <reply-18@example.co.uk>",
    "MIME-Version: 1.0", "Content-Type: multipart/alternative; boundary=\"_000_X_\""],
    "--_000_X_\nContent-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: 8bit\n\n"
    "Fixed after the cache was cleared, thank you.\n\n________________________________\nVon: Service Desk <servicedesk@example.org>\nGesendet: Dienstag, 3. M\u00e4rz 2026 10:00\nAn: Dana Smith\nBetreff: [OPD-7] Invoice tool\n\nPlease clear the cache.\n"
    "--_000_X_\nContent-Type: text/html; charset=\"utf-8\"\n\n<p>Fixed after the cache was cleared</p>\n--_000_X_--\n",
    {"outcome": "comment", "target": "07-win1252.eml", "requester": "dana@example.co.uk",
     "body": ["Fixed after the cache was cleared, thank you."], "body_not": ["Please clear the cache", "Gesendet", "_____"]})

# --- 19 A stranger's reply naming someone else's ticket: a new, linked ticket
add("19-stranger-reply.eml", [
    "From: Mallory <mallory@evil.example>", "To: servicedesk@example.org",
    "Subject: Re: [OPD-1] Laptop won't boot", DATE, "Message-ID: <stranger-19@evil.example>",
    "In-Reply-To: <AM0PR07MB4417C2D1E0@AM0PR07MB4417.eurprd07.prod.outlook.com>",
    "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"],
    "Please send me the laptop password.\n",
    {"outcome": "created", "linked_to": "01-outlook-new.eml", "subject": "Re: [OPD-1] Laptop won't boot",
     "requester": "mallory@evil.example", "body": ["Please send me the laptop password."]})

# --- 20 A participant copied on the first mail replies: a comment
add("20-participant-reply.eml", [
    "From: Kim Lee <KIM@example.com>", "To: servicedesk@example.org",
    "Subject: RE: [OPD-1] Laptop won't boot", DATE, "Message-ID: <reply-20@example.com>",
    "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"],
    "Hans can use my spare laptop meanwhile.\n",
    {"outcome": "comment", "target": "01-outlook-new.eml", "requester": "kim@example.com",
     "body": ["Hans can use my spare laptop meanwhile."]})

# --- 21 An agent's address answers by mail without a reply token (the From
# header alone proves nothing, issue 8): a stranger's mail, a new linked ticket
add("21-agent-reply.eml", [
    "From: Alice Jones <alice@example.org>", "To: servicedesk@example.org",
    "Subject: SV: [OPD-2] VPN keeps dropping", DATE, "Message-ID: <reply-21@example.org>",
    "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"],
    "Pushed a new VPN profile to Greta's laptop.\n",
    {"outcome": "created", "linked_to": "02-gmail-new.eml", "subject": "SV: [OPD-2] VPN keeps dropping",
     "requester": "alice@example.org", "body": ["Pushed a new VPN profile"]})

# --- 22 Out-of-office (Auto-Submitted) opening a ticket: no acknowledgement
add("22-auto-reply-ooo.eml", [
    "From: Chris Out <chris@example.net>", "To: servicedesk@example.org",
    "Subject: Automatic reply: Maintenance on Saturday", DATE, "Message-ID: <ooo-22@example.net>",
    "Auto-Submitted: auto-replied", "X-MS-Exchange-Inbox-Rules-Loop: chris@example.net",
    "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"],
    "I am out of the office until Monday.\n",
    {"outcome": "created", "no_ack": True, "subject": "Automatic reply: Maintenance on Saturday",
     "requester": "chris@example.net", "body": ["out of the office"]})

add("23-precedence-bulk.eml", [
    "From: Vendor News <news@vendor.example>", "To: servicedesk@example.org", "Subject: Our spring newsletter",
    DATE, "Message-ID: <news-23@vendor.example>", "Precedence: bulk", "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8"],
    "New products this spring.\n",
    {"outcome": "created", "no_ack": True, "subject": "Our spring newsletter", "requester": "news@vendor.example",
     "body": ["New products this spring."]})

add("24-precedence-list.eml", [
    "From: Some One <someone@lists.example>", "To: it-users@lists.example", "Cc: servicedesk@example.org",
    "Subject: [it-users] Wifi on floor 2?", DATE, "Message-ID: <list-24@lists.example>", "Precedence: list",
    "List-Id: IT users <it-users.lists.example>", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"],
    "Is the wifi on floor 2 down for anyone else?\n",
    {"outcome": "created", "no_ack": True, "subject": "[it-users] Wifi on floor 2?", "requester": "someone@lists.example",
     "body": ["wifi on floor 2"]})

add("25-x-autoreply.eml", [
    "From: Robo <robo@example.net>", "To: servicedesk@example.org", "Subject: Received: your message",
    DATE, "Message-ID: <auto-25@example.net>", "X-Autoreply: yes", "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8"],
    "Your message was received.\n",
    {"outcome": "created", "no_ack": True, "subject": "Received: your message", "requester": "robo@example.net",
     "body": ["Your message was received."]})

add("26-auto-submitted-no.eml", [
    "From: Human <human@example.net>", "To: servicedesk@example.org", "Subject: Monitor flickers",
    DATE, "Message-ID: <human-26@example.net>", "Auto-Submitted: no", "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8"],
    "My monitor flickers.\n",
    {"outcome": "created", "no_ack": False, "subject": "Monitor flickers", "requester": "human@example.net",
     "body": ["My monitor flickers."]})

# --- 27 Postfix DSN about the desk's mail on OPD-2 (message/rfc822 returned)
add("27-dsn-postfix.eml", [
    "Return-Path: <>", "From: MAILER-DAEMON@mx.example.org (Mail Delivery System)",
    "Subject: Undelivered Mail Returned to Sender", "To: servicedesk@example.org", "Auto-Submitted: auto-replied",
    DATE, "Message-Id: <20260303091500.ABCDE12345@mx.example.org>", "MIME-Version: 1.0",
    "Content-Type: multipart/report; report-type=delivery-status;\n\tboundary=\"ABCDE12345.1709457300/mx.example.org\""],
    "This is a MIME-encapsulated message.\n\n--ABCDE12345.1709457300/mx.example.org\nContent-Description: Notification\nContent-Type: text/plain; charset=us-ascii\n\n"
    "This is the mail system at host mx.example.org.\n\nI'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.\n\n"
    "<greta.berg@gmail.com>: host gmail-smtp-in.l.google.com said: 550 5.1.1 user unknown\n\n"
    "--ABCDE12345.1709457300/mx.example.org\nContent-Description: Delivery report\nContent-Type: message/delivery-status\n\n"
    "Reporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; greta.berg@gmail.com\nAction: failed\nStatus: 5.1.1\n\n"
    "--ABCDE12345.1709457300/mx.example.org\nContent-Description: Undelivered Message\nContent-Type: message/rfc822\n\n"
    "Message-ID: <opdesk.OPD-2.3@example.org>\nFrom: Service Desk <servicedesk@example.org>\nTo: greta.berg@gmail.com\nSubject: [OPD-2] VPN keeps dropping\n\nWe received your request.\n\n"
    "--ABCDE12345.1709457300/mx.example.org--\n",
    {"outcome": "comment", "target": "02-gmail-new.eml", "requester": "mailer-daemon@mx.example.org",
     "body": ["550 5.1.1 user unknown", "Status: 5.1.1"]})

# --- 28 Exchange-style DSN with text/rfc822-headers
add("28-dsn-headers.eml", [
    "From: postmaster@example.com", "To: servicedesk@example.org", "Subject: Delivery Status Notification (Failure)",
    DATE, "Message-ID: <dsn-28@example.com>", "MIME-Version: 1.0",
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"rep\""],
    "--rep\nContent-Type: text/plain; charset=us-ascii\n\nDelivery has failed to these recipients: ola@icloud.com\n"
    "--rep\nContent-Type: message/delivery-status\n\nReporting-MTA: dns;EX01.example.com\n\nFinal-Recipient: rfc822;ola@icloud.com\nAction: failed\nStatus: 5.2.2\n"
    "--rep\nContent-Type: text/rfc822-headers\n\nFrom: Service Desk <servicedesk@example.org>\nSubject: [OPD-3] Printer\nMessage-ID:\n <opdesk.OPD-3.9@example.org>\n"
    "--rep--\n",
    {"outcome": "comment", "target": "03-apple-new.eml", "requester": "postmaster@example.com",
     "body": ["Delivery has failed", "Status: 5.2.2"]})

add("29-dsn-unknown.eml", [
    "From: MAILER-DAEMON@mx.example.org", "To: servicedesk@example.org", "Subject: Undelivered Mail Returned to Sender",
    DATE, "Message-ID: <dsn-29@mx.example.org>", "MIME-Version: 1.0",
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"r29\""],
    "--r29\nContent-Type: text/plain\n\nCould not deliver.\n--r29\nContent-Type: message/delivery-status\n\nAction: failed\nStatus: 5.0.0\n"
    "--r29\nContent-Type: text/rfc822-headers\n\nMessage-ID: <never-seen@example.org>\nSubject: hello\n--r29--\n",
    {"outcome": "dropped"})

# --- 30 Exim bounce without DSN structure (old style), original quoted as text
add("30-bounce-exim-plain.eml", [
    "From: Mail Delivery System <Mailer-Daemon@mail.example.net>", "To: servicedesk@example.org",
    "Subject: Mail delivery failed: returning message to sender", DATE, "Message-Id: <E1bounce-30@mail.example.net>",
    "X-Failed-Recipients: juergen.weiss@posteo.de", "Auto-Submitted: auto-replied"],
    "This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error.\n\n  juergen.weiss@posteo.de\n    mailbox is full\n\n"
    "------ This is a copy of the message, including all the headers. ------\n\nMessage-ID: <opdesk.OPD-4.2@example.org>\nFrom: servicedesk@example.org\nSubject: [OPD-4] Zugang\n\nbody\n",
    {"outcome": "comment", "target": "04-thunderbird-new.eml", "requester": "mailer-daemon@mail.example.net",
     "body": ["mailbox is full"]})

add("31-own-mail-from.eml", [
    "From: Service Desk <servicedesk@example.org>", "To: list@lists.example", "Subject: [OPD-1] Laptop won't boot",
    DATE, "Message-ID: <relayed-31@lists.example>", "MIME-Version: 1.0", "Content-Type: text/plain"],
    "We are looking into it.\n", {"outcome": "dropped"})

add("32-own-mail-msgid.eml", [
    "From: \"Service Desk via IT list\" <it-list@lists.example>", "To: it-list@lists.example",
    "Subject: [IT list] [OPD-2] VPN keeps dropping", DATE, "Message-ID: <opdesk.OPD-2.5@example.org>",
    "MIME-Version: 1.0", "Content-Type: text/plain"],
    "We received your request.\n", {"outcome": "dropped"})

add("33-own-mail-alias.eml", [
    "From: Help <HELP@example.org>", "To: someone@example.com", "Subject: Fwd: your request",
    DATE, "Message-ID: <alias-33@example.org>", "Content-Type: text/plain"],
    "forwarded\n", {"outcome": "dropped"})

corpus.append(("34-no-headers.eml", b"Hello, I just typed some text into the pipe\r\nwith no header at all.\r\n",
               {"outcome": "rejected"}))
corpus.append(("35-binary-junk.eml", bytes((i * 131 + 7) % 256 for i in range(4096)), {"outcome": "rejected"}))

# --- 36 Broken MIME: the closing boundary never comes, and a part's boundary is wrong
add("36-broken-boundary.eml", [
    "From: Broken Client <broken@example.com>", "To: servicedesk@example.org", "Subject: Scanner error",
    DATE, "Message-ID: <broken-36@example.com>", "MIME-Version: 1.0",
    "Content-Type: multipart/mixed; boundary=\"real-boundary\""],
    "--real-boundary\nContent-Type: text/plain; charset=utf-8\n\nThe scanner shows error E-204.\n--wrong-boundary\nContent-Type: text/plain\n\nstill here\n",
    {"outcome": "created", "subject": "Scanner error", "requester": "broken@example.com", "body": ["error E-204"]})

# --- 37 Raw 8-bit (Latin-1) bytes in headers: invalid UTF-8
corpus.append(("37-invalid-utf8-headers.eml",
               b"From: Bj\xf6rn \xc5berg <bjorn@example.se>\r\nTo: servicedesk@example.org\r\nSubject: Sk\xe4rmen \xe4r svart \xff\xfe\r\n"
               + DATE.encode() + b"\r\nMessage-ID: <raw-37@example.se>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSk\xe4rmen \xe4r svart sedan i morse.\r\n",
               {"outcome": "created", "subject": "Sk\u00e4rmen \u00e4r svart \u00ff\u00fe", "requester": "bjorn@example.se",
                "name": "Bj\u00f6rn \u00c5berg", "body": ["Sk\u00e4rmen \u00e4r svart sedan i morse."]}))

add("38-no-message-id.eml", [
    "From: No Id <noid@example.com>", "To: servicedesk@example.org", "Subject: Keyboard missing keys", DATE,
    "Content-Type: text/plain"],
    "The keyboard is missing the F and J keys.\n",
    {"outcome": "created", "external_id": "sha256", "subject": "Keyboard missing keys", "requester": "noid@example.com",
     "body": ["missing the F and J keys"]})

# --- 39 The MTA delivers 02 again (same Message-ID): the same ticket, nothing new
add("39-repeat.eml", [
    "MIME-Version: 1.0", DATE, "Message-ID: <CAHk7nV0qQ+ZxUo3Q5c=dB2Kf8sYyJ9@mail.gmail.com>",
    "Subject: VPN keeps dropping", "From: Greta Berg <greta.berg@gmail.com>", "To: servicedesk@example.org",
    "Content-Type: text/plain; charset=UTF-8"],
    "Hi team,\n", {"outcome": "repeat", "target": "02-gmail-new.eml"})

add("40-no-subject.eml", [
    "From: terse@example.com", "To: servicedesk@example.org", DATE, "Message-ID: <nosubj-40@example.com>",
    "Content-Type: text/plain"],
    "Mouse broken.\n",
    {"outcome": "created", "subject": "(no subject)", "requester": "terse@example.com", "body": ["Mouse broken."]})

# --- 41 A forward: the forwarded text is the request and stays
add("41-forward-inline.eml", [
    "MIME-Version: 1.0", DATE, "Message-ID: <CAfwd41@mail.gmail.com>", "Subject: Fwd: Disk almost full on FS01",
    "From: Greta Berg <greta.berg@gmail.com>", "To: servicedesk@example.org", "Content-Type: text/plain; charset=UTF-8"],
    "FYI, see below.\n\n---------- Forwarded message ---------\nFrom: Monitoring <monitor@example.com>\nDate: Tue, 3 Mar 2026 at 08:00\nSubject: Disk almost full on FS01\n\nVolume D: is 97% full.\n",
    {"outcome": "created", "subject": "Fwd: Disk almost full on FS01", "requester": "greta.berg@gmail.com",
     "body": ["FYI, see below.", "Volume D: is 97% full."]})

INNER = ("From: Monitoring <monitor@example.com>\r\nTo: greta.berg@gmail.com\r\nSubject: Backup failed\r\n"
         "Message-ID: <inner-42@example.com>\r\n\r\nBackup job 7 failed.\r\n")
add("42-forward-attached.eml", [
    "From: Greta Berg <greta.berg@gmail.com>", "To: servicedesk@example.org", "Subject: Fwd: Backup failed",
    DATE, "Message-ID: <fwd-42@mail.gmail.com>", "MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=\"f42\""],
    "--f42\nContent-Type: text/plain\n\nSee the attached alert.\n--f42\nContent-Type: message/rfc822\nContent-Disposition: attachment; filename=\"Backup failed.eml\"\n\n"
    + INNER.replace("\r\n", "\n") + "--f42--\n",
    {"outcome": "created", "subject": "Fwd: Backup failed", "requester": "greta.berg@gmail.com",
     "body": ["See the attached alert."], "attachments": [{"name": "Backup failed.eml", "content_type": "message/rfc822"}]})

# --- 43 Bottom posting: the quote first, the answer below it
add("43-bottom-post.eml", [
    "From: juergen.weiss@posteo.de", "To: servicedesk@example.org", "Subject: Re: [OPD-4] Zugang zum Laufwerk",
    DATE, "Message-ID: <bottom-43@posteo.de>", "In-Reply-To: <opdesk.OPD-4.8@example.org>", "Content-Type: text/plain; charset=utf-8"],
    "On Tue, 3 Mar 2026 10:00, Service Desk wrote:\n> Does it work now?\n> Regards\n\nIt works from home but not from the office.\n",
    {"outcome": "comment", "target": "04-thunderbird-new.eml", "requester": "juergen.weiss@posteo.de",
     "body": ["It works from home but not from the office."], "body_not": ["Does it work now", "wrote:"]})

# --- 44 Gmail HTML-only reply: the quote is a blockquote
add("44-html-reply-gmail.eml", [
    "MIME-Version: 1.0", DATE, "Message-ID: <CAhtml44@mail.gmail.com>", "Subject: Re: [OPD-5] Outlook disconnected",
    "From: Sam Taylor <sam.taylor@yahoo.com>", "To: servicedesk@example.org", "Content-Type: text/html; charset=UTF-8"],
    "<div dir=\"ltr\">It connects again, thanks!</div><br><div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">On Tue, Mar 3, 2026 at 10:00 AM Service Desk &lt;<a href=\"mailto:servicedesk@example.org\">servicedesk@example.org</a>&gt; wrote:<br></div>"
    "<blockquote class=\"gmail_quote\" style=\"margin:0px 0px 0px 0.8ex\">Please restart Outlook.<br></blockquote></div>\n",
    {"outcome": "comment", "target": "05-html-only.eml", "requester": "sam.taylor@yahoo.com",
     "body": ["It connects again, thanks!"], "body_not": ["Please restart Outlook", "wrote:"]})

add("45-calendar-invite.eml", [
    "From: Pat Organiser <pat.org@example.com>", "To: servicedesk@example.org", "Subject: Invitation: Projector setup",
    DATE, "Message-ID: <cal-45@example.com>", "MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=\"c45\""],
    "--c45\nContent-Type: text/plain; charset=utf-8\n\nPlease set up the projector in room 4.\n"
    "--c45\nContent-Type: text/calendar; charset=utf-8; method=REQUEST; name=\"invite.ics\"\nContent-Disposition: attachment; filename=\"invite.ics\"\n\nBEGIN:VCALENDAR\nEND:VCALENDAR\n--c45--\n",
    {"outcome": "created", "subject": "Invitation: Projector setup", "requester": "pat.org@example.com",
     "body": ["projector in room 4"], "body_not": ["VCALENDAR"],
     "attachments": [att("invite.ics", "text/calendar", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR")]})

add("46-rfc2231-filename.eml", [
    "From: Zoe <zoe@example.com>", "To: servicedesk@example.org", "Subject: =?UTF-8?Q?CV_f=C3=BCr_Zo=C3=AB?=",
    DATE, "Message-ID: <cv-46@example.com>", "MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=\"z46\""],
    "--z46\nContent-Type: text/plain; charset=utf-8\n\nMy CV for the HR system.\n"
    "--z46\nContent-Type: application/pdf\nContent-Disposition: attachment; filename*=UTF-8''R%C3%A9sum%C3%A9.pdf\nContent-Transfer-Encoding: base64\n\n"
    + b64(PDF) + "\n--z46--\n",
    {"outcome": "created", "subject": "CV f\u00fcr Zo\u00eb", "requester": "zoe@example.com", "body": ["My CV"],
     "attachments": [att("R\u00e9sum\u00e9.pdf", "application/pdf", PDF)]})

add("47-sender-only.eml", [
    "Sender: System Robot <robot@example.com>", "To: servicedesk@example.org", "Subject: Nightly job report",
    DATE, "Message-ID: <sender-47@example.com>", "Content-Type: text/plain"],
    "Job 12 failed twice.\n",
    {"outcome": "created", "subject": "Nightly job report", "requester": "robot@example.com", "body": ["Job 12 failed twice."]})

corpus.append(("48-nul-bytes.eml",
               b"From: Nul Sender <nul@example.com>\r\nTo: servicedesk@example.org\r\nSubject: Strange file\r\n"
               + DATE.encode() + b"\r\nMessage-ID: <nul-48@example.com>\r\nContent-Type: text/plain\r\n\r\nbefore\x00after the NUL\r\n",
               {"outcome": "created", "subject": "Strange file", "requester": "nul@example.com", "body": ["before after the NUL"]}))

# --- 49 The stranger then answers on the new ticket's thread: allowed (own ticket)
add("49-reply-on-linked.eml", [
    "From: Mallory <mallory@evil.example>", "To: servicedesk@example.org", "Subject: Re: something",
    DATE, "Message-ID: <stranger-49@evil.example>", "In-Reply-To: <stranger-19@evil.example>",
    "Content-Type: text/plain"],
    "Any news?\n",
    {"outcome": "comment", "target": "19-stranger-reply.eml", "requester": "mallory@evil.example", "body": ["Any news?"]})

add("50-requester-reply-closed-tag-unknown.eml", [
    "From: Hans Mueller <hans.mueller@example.com>", "To: servicedesk@example.org",
    "Subject: Re: [OPD-9999] old thing", DATE, "Message-ID: <unknown-tag-50@example.com>", "Content-Type: text/plain"],
    "Another question about an old ticket.\n",
    {"outcome": "created", "subject": "Re: [OPD-9999] old thing", "requester": "hans.mueller@example.com",
     "body": ["Another question"]})

# --- 51-58 Empty text in every shape (issue 8: each crashed the mail path)
add("51-subject-only.eml", [
    "From: Quiet Quinn <quinn@example.com>", "To: servicedesk@example.org", "Subject: Call me please",
    DATE, "Message-ID: <empty-51@example.com>"],
    "",
    {"outcome": "created", "subject": "Call me please", "requester": "quinn@example.com"})

corpus.append(("52-headers-only.eml",
               ("From: Quinn <quinn@example.com>\r\nTo: servicedesk@example.org\r\nSubject: Headers only\r\n"
                + DATE + "\r\nMessage-ID: <empty-52@example.com>\r\n").encode(),
               {"outcome": "created", "subject": "Headers only", "requester": "quinn@example.com"}))

add("53-empty-alternative.eml", [
    "From: Quinn <quinn@example.com>", "To: servicedesk@example.org", "Subject: Empty parts",
    DATE, "Message-ID: <empty-53@example.com>", "MIME-Version: 1.0",
    "Content-Type: multipart/alternative; boundary=\"e53\""],
    "--e53\nContent-Type: text/plain; charset=utf-8\n\n--e53\nContent-Type: text/html; charset=utf-8\n"
    "Content-Transfer-Encoding: quoted-printable\n\n--e53--\n",
    {"outcome": "created", "subject": "Empty parts", "requester": "quinn@example.com"})

add("54-empty-html-only.eml", [
    "From: Quinn <quinn@example.com>", "To: servicedesk@example.org", "Subject: Empty HTML",
    DATE, "Message-ID: <empty-54@example.com>", "MIME-Version: 1.0",
    "Content-Type: text/html; charset=iso-8859-1"],
    "",
    {"outcome": "created", "subject": "Empty HTML", "requester": "quinn@example.com"})

add("55-zero-length-attachment.eml", [
    "From: Quinn <quinn@example.com>", "To: servicedesk@example.org", "Subject: Empty file",
    DATE, "Message-ID: <empty-55@example.com>", "MIME-Version: 1.0",
    "Content-Type: multipart/mixed; boundary=\"e55\""],
    "--e55\nContent-Type: text/plain; charset=windows-1252\n\n--e55\nContent-Type: application/pdf\n"
    "Content-Disposition: attachment; filename=\"empty.pdf\"\nContent-Transfer-Encoding: base64\n\n--e55--\n",
    {"outcome": "created", "subject": "Empty file", "requester": "quinn@example.com",
     "attachments": [att("empty.pdf", "application/pdf", b"")]})

add("56-empty-multipart.eml", [
    "From: Quinn <quinn@example.com>", "To: servicedesk@example.org", "Subject: No parts",
    DATE, "Message-ID: <empty-56@example.com>", "MIME-Version: 1.0",
    "Content-Type: multipart/mixed; boundary=\"e56\""],
    "--e56--\n",
    {"outcome": "created", "subject": "No parts", "requester": "quinn@example.com"})

# --- 57 A bounce about the desk's mail on OPD-4 with an empty delivery-status part
add("57-dsn-empty-status.eml", [
    "From: MAILER-DAEMON@mx.example.org", "To: servicedesk@example.org", "Subject: Undelivered Mail",
    DATE, "Message-ID: <dsn-57@mx.example.org>", "MIME-Version: 1.0",
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"r57\""],
    "--r57\nContent-Type: text/plain\n\n--r57\nContent-Type: message/delivery-status\n\n"
    "--r57\nContent-Type: text/rfc822-headers\n\nMessage-ID: <opdesk.OPD-4.5@example.org>\nSubject: [OPD-4] x\n--r57--\n",
    {"outcome": "comment", "target": "04-thunderbird-new.eml", "requester": "mailer-daemon@mx.example.org",
     "body": ["Delivery failure report"]})

# --- 58 A bounce whose delivery-status has headers but no fields, no text part at all
add("58-dsn-no-fields.eml", [
    "From: postmaster@example.com", "To: servicedesk@example.org", "Subject: Delivery failed",
    DATE, "Message-ID: <dsn-58@example.com>", "MIME-Version: 1.0",
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"r58\""],
    "--r58\nContent-Type: message/delivery-status\nContent-Transfer-Encoding: 7bit\n\n\n"
    "--r58\nContent-Type: message/rfc822\n\nMessage-ID: <opdesk.OPD-4.6@example.org>\nSubject: [OPD-4] x\n\n--r58--\n",
    {"outcome": "comment", "target": "04-thunderbird-new.eml", "requester": "postmaster@example.com",
     "body": ["Delivery failure report"]})


def main():
    for f in os.listdir(HERE):
        if f.endswith(".eml"):
            os.unlink(os.path.join(HERE, f))
    manifest = []
    for name, data, exp in corpus:
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        exp = dict(exp)
        exp["file"] = name
        exp["exit"] = 65 if exp["outcome"] == "rejected" else 0
        if exp.get("external_id") == "sha256":
            exp["external_id"] = hashlib.sha256(data).hexdigest()
        manifest.append(exp)
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump({"config": {"agents": ["alice@example.org", "bob@example.org"],
                              "addresses": ["servicedesk@example.org", "help@example.org"],
                              "max_attachment_bytes": 100000},
                   "messages": manifest}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("%d messages" % len(manifest))


if __name__ == "__main__":
    main()
