"""Judges the headers of received messages with Python's email package, not with MimeKit.

Usage: /usr/bin/python3 check_headers.py [--allow-8bit] FILE...
Each FILE holds the bytes a server received after DATA (dot-stuffed, ending with the "." line). Prints one JSON
object per file: the problems found (parser defects, encoded-words over 75 characters, lines over 998, lines over 78
that a fold could have shortened, 8-bit octets in headers) and the decoded values, for the test to compare.
"""
import email
import email.policy
import json
import re
import sys

ENCODED_WORD = re.compile(rb"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def unstuff(raw):
    lines = raw.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if lines and lines[-1] == b".":
        lines.pop()
    return b"\r\n".join(l[1:] if l.startswith(b".") else l for l in lines) + b"\r\n"


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
    message = email.message_from_bytes(data, policy=email.policy.default)
    names, filenames, params = {}, [], []
    for part in message.walk():
        for defect in part.defects:
            problems.append("defect in a part: %s" % defect.__class__.__name__)
        for name, value in part.items():
            for defect in getattr(value, "defects", ()):
                problems.append("defect in %s: %s (%s)" % (name, defect.__class__.__name__, defect))
            if part is message:
                names.setdefault(name.lower(), []).append(str(value))
        if part.get_filename() is not None:
            filenames.append(part.get_filename())
        if part.get_content_type() == "multipart/related":
            params.append({"type": part.get_param("type")})
    addresses = {}
    for field in ("from", "to", "cc", "reply-to", "sender"):
        if field in message:
            addresses[field] = [{"name": a.display_name, "address": a.addr_spec} for a in message[field].addresses]
    return {
        "file": path,
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
