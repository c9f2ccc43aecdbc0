"""Python's smtplib, the engine under the seed (email-simplified), for bench/Invoke-Benchmark.ps1.

Sends COUNT messages of about BODYBYTES bytes, one recipient each, over one connection, building each with
email.message.EmailMessage and sending it with SMTP.send_message, as the seed's handler does. Times the whole
work (connect, every message, QUIT) and prints "elapsed_ms=<ms> messages=<n> transactions=<n> cpu_ms=<ms>".

usage: python3 smtplib_bench.py PORT COUNT BODYBYTES
"""
import smtplib
import sys
import time
from email.message import EmailMessage


def body(size):
    lines = []
    length = 0
    line = 0
    while length < size:
        text = chr(ord("a") + line % 26) * 76
        lines.append(text)
        length += 78
        line += 1
    return ("\r\n".join(lines))[:size]


def main():
    port, count, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    text = body(size)
    cpu = time.process_time()
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for i in range(1, count + 1):
            message = EmailMessage()
            message["From"] = "bench@example.test"
            message["To"] = f"user{i}@example.test"
            message["Subject"] = "Bench"
            message.set_content(text)
            refused = smtp.send_message(message)
            if refused:
                raise SystemExit(f"refused: {refused}")
    elapsed = (time.perf_counter() - start) * 1000
    cpu = (time.process_time() - cpu) * 1000
    print(f"elapsed_ms={elapsed:.3f} messages={count} transactions={count} cpu_ms={cpu:.3f}")


if __name__ == "__main__":
    main()
