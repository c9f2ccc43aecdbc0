"""Judges the headers of received messages with Python's email package, not with MimeKit.

Usage: /usr/bin/python3 check_headers.py [--allow-8bit] FILE...
Each FILE holds the bytes a server received after DATA (dot-stuffed, ending with the "." line). Prints one JSON
object per file: the problems found (parser defects, encoded-words over 75 characters, lines over 998, lines over 78
that a fold could have shortened, 8-bit octets in headers) and the decoded values, for the test to compare.
"""
import email
import email.header
import email.utils
import email.policy
import email.headerregistry
import json
import re
import sys

ENCODED_WORD = re.compile(rb"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")

# Headers whose syntax is an address list (RFC 5322 3.6, RFC 8098, Resent-*), beyond those Python's registry knows.
EXTRA_ADDRESS_HEADERS = ("disposition-notification-to", "return-receipt-to", "errors-to", "mail-followup-to", "mail-reply-to", "resent-reply-to")
ADDRESS_FIELDS = ("from", "to", "cc", "reply-to", "sender", "resent-from", "resent-sender", "resent-to", "resent-cc") + EXTRA_ADDRESS_HEADERS


def address_policy():
    registry = email.headerregistry.HeaderRegistry()
    for name in EXTRA_ADDRESS_HEADERS:
        registry.map_to_type(name, email.headerregistry.AddressHeader)
    return email.policy.default.clone(header_factory=registry)


def unstuff(raw):
    lines = raw.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if lines and lines[-1] == b".":
        lines.pop()
    return b"\r\n".join(l[1:] if l.startswith(b".") else l for l in lines) + b"\r\n"


def restore(value):
    """A compat32 header value: 8-bit octets (UTF-8 under SMTPUTF8) come back as surrogates; make them text again."""
    value = str(value)
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def decode(words):
    return str(email.header.make_header(email.header.decode_header(words))) if words else words


def header_blocks(data):
    """Yields the raw header block of the message and of each MIME part."""
    head, _, _ = data.partition(b"\r\n\r\n")
    yield head
    for match in re.finditer(rb"\r\n--[^\r\n]+\r\n((?:[^\r\n]+\r\n)+)\r\n", data):
        yield match.group(1).rstrip(b"\r\n")


def check_lines(block, allow_8bit, problems):
    for line in block.split(b"\r\n"):
        if not allow_8bit and any(b > 127 for b in line):
            problems.append("8-bit octets in a header line: %r" % line[:80])
        if len(line) > 998:
            problems.append("line of %d octets (limit 998)" % len(line))
        for word in ENCODED_WORD.findall(line):
            if len(word) > 75:
                problems.append("encoded-word of %d characters (limit 75): %s" % (len(word), word[:40].decode("ascii", "replace")))
        if len(line) > 78:
            body = line.split(b":", 1)[1] if not line[:1].isspace() and b":" in line else line
            if len(body.strip().split()) > 1:
                problems.append("line of %d characters that folding could have kept to 78: %r" % (len(line), line[:60]))


def judge(path, allow_8bit):
    data = unstuff(open(path, "rb").read())
    problems = []
    for block in header_blocks(data):
        check_lines(block, allow_8bit, problems)
    if allow_8bit:
        # RFC 6532 (SMTPUTF8): headers are UTF-8 text; a non-ASCII local part is then allowed, not a defect.
        message = email.message_from_string(data.decode("utf-8"), policy=address_policy())
        allowed = ("NonASCIILocalPartDefect",)
    else:
        message = email.message_from_bytes(data, policy=address_policy())
        allowed = ()
    names, filenames, params = {}, [], []
    for part in message.walk():
        for defect in part.defects:
            problems.append("defect in a part: %s" % defect.__class__.__name__)
        for name, value in part.items():
            for defect in getattr(value, "defects", ()):
                if defect.__class__.__name__ in allowed:
                    continue
                problems.append("defect in %s: %s (%s)" % (name, defect.__class__.__name__, defect))
            if part is message:
                names.setdefault(name.lower(), []).append(str(value))
        if part.get_filename() is not None:
            filenames.append(part.get_filename())
        if part.get_content_type() == "multipart/related":
            params.append({"type": part.get_param("type")})
    # Display names are decoded with the legacy API, which follows RFC 2047 6.2 (whitespace between two encoded-words
    # is dropped); the default policy's phrase parser keeps it and so reads a name split over several words with
    # extra spaces, whoever wrote it (Python's own generator included).
    if allow_8bit:
        legacy = email.message_from_string(data.decode("utf-8"), policy=email.policy.compat32)
    else:
        legacy = email.message_from_bytes(data, policy=email.policy.compat32)
    addresses = {}
    for field in ADDRESS_FIELDS:
        values = [restore(v) for v in legacy.get_all(field, [])]
        if values:
            addresses[field] = [{"name": decode(name), "email": address} for name, address in email.utils.getaddresses(values)]
            for entry in addresses[field]:
                # RFC 2047 5: an encoded-word never stands in an addr-spec; a quote must close.
                if "=?" in entry["email"] or '"' in entry["email"]:
                    problems.append("malformed address in %s: %r" % (field, entry["email"]))
    plain = message.get_body(("plain",))
    return {
        "file": path,
        "text": plain.get_content() if plain is not None else None,
        "textCharset": plain.get_content_charset() if plain is not None else None,
        "structure": [p.get_content_type() for p in message.walk()],
        "problems": problems,
        "subject": str(message["subject"]) if "subject" in message else None,
        "headers": names,
        "addresses": addresses,
        "filenames": filenames,
        "related": params,
    }


if __name__ == "__main__":
    args = sys.argv[1:]
    allow = "--allow-8bit" in args
    for path in [a for a in args if a != "--allow-8bit"]:
        print(json.dumps(judge(path, allow), ensure_ascii=False))
