"""Reads an iMIP message as the server received it, with Python's email package and Debian's python3-icalendar
(independent of MimeKit), and prints what a calendar client would see, as JSON. Usage: read_invitation.py FILE"""
import json
import sys
from email import policy
from email.parser import BytesParser

import icalendar

with open(sys.argv[1], "rb") as handle:
    message = BytesParser(policy=policy.default).parse(handle)

parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
if len(parts) != 1:
    sys.exit(f"expected one text/calendar part, found {len(parts)}")
part = parts[0]
container = [p for p in message.walk() if p.is_multipart() and any(c is part for c in p.iter_parts())]
calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
events = calendar.walk("VEVENT")
if len(events) != 1:
    sys.exit(f"expected one VEVENT, found {len(events)}")
event = events[0]


def when(name):
    prop = event.get(name)
    value = prop.dt
    return {
        "iso": value.isoformat(),
        "utc": value.astimezone(__import__("datetime").timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tzid": prop.params.get("TZID"),
    }


attendees = event.get("ATTENDEE")
if attendees is None:
    attendees = []
elif not isinstance(attendees, list):
    attendees = [attendees]
alarms = event.walk("VALARM")
print(json.dumps({
    "contentType": part.get_content_type(),
    "method_param": part.get_param("method"),
    "charset": part.get_content_charset(),
    "container": container[0].get_content_type() if container else None,
    "siblings": [p.get_content_type() for p in container[0].iter_parts()] if container else [],
    "METHOD": str(calendar.get("METHOD")),
    "UID": str(event.get("UID")),
    "SEQUENCE": int(event.get("SEQUENCE")),
    "STATUS": str(event.get("STATUS")),
    "SUMMARY": str(event.get("SUMMARY")),
    "DESCRIPTION": str(event.get("DESCRIPTION")) if event.get("DESCRIPTION") is not None else None,
    "LOCATION": str(event.get("LOCATION")) if event.get("LOCATION") is not None else None,
    "DTSTART": when("DTSTART"),
    "DTEND": when("DTEND"),
    "ORGANIZER": str(event.get("ORGANIZER")),
    "ORGANIZER_CN": event.get("ORGANIZER").params.get("CN"),
    "ATTENDEE": [{"value": str(a), "cn": a.params.get("CN"), "role": a.params.get("ROLE"),
                  "partstat": a.params.get("PARTSTAT"), "rsvp": a.params.get("RSVP")} for a in attendees],
    "TRIGGER": [str(a.get("TRIGGER").to_ical(), "ascii") for a in alarms],
    "TIMEZONES": [str(tz.get("TZID")) for tz in calendar.walk("VTIMEZONE")],
}))
