using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Runtime;
using System.Text;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

// Raw MailKit, for bench/Invoke-Benchmark.ps1. Each mode times the whole work (connect, every transaction, QUIT)
// with a Stopwatch, in a fresh process like the pwsh runs it is compared with, and prints one line:
// "elapsed_ms=<ms> messages=<n> transactions=<n> cpu_ms=<the process's CPU time over the same span>
// jit=<methods JIT-compiled by the process up to the end of the span> jit_span=<of them, within the span>"
// (published ReadyToRun, MailKit's and MimeKit's methods come precompiled: the JIT counts show it).
//   messages  PORT COUNT BODYBYTES  COUNT messages of one recipient each over one connection
//   batched   PORT RECIPIENTS PER   one message to RECIPIENTS (Bcc), PER recipients per transaction, one connection
internal static class Program
{
    private const string From = "bench@example.test";

    private static int Main(string[] args)
    {
        if (args.Length != 4)
        {
            Console.Error.WriteLine("usage: RawMailKit messages|batched PORT N M");
            return 2;
        }

        var port = int.Parse(args[1]);
        var n = int.Parse(args[2]);
        var m = int.Parse(args[3]);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var jitAtStart = JitInfo.GetCompiledMethodCount(false);
        var clock = Stopwatch.StartNew();
        int messages, transactions;
        using (var client = new SmtpClient())
        {
            client.Connect("127.0.0.1", port, SecureSocketOptions.None);
            if (args[0] == "messages")
            {
                var body = Body(m);
                for (var i = 1; i <= n; i++)
                {
                    var message = new MimeMessage();
                    message.From.Add(MailboxAddress.Parse(From));
                    message.To.Add(MailboxAddress.Parse($"user{i}@example.test"));
                    message.Subject = "Bench";
                    message.Body = new TextPart("plain") { Text = body };
                    client.Send(message);
                }

                messages = n;
                transactions = n;
            }
            else
            {
                var message = new MimeMessage();
                message.From.Add(MailboxAddress.Parse(From));
                message.Subject = "Bench batched";
                message.Body = new TextPart("plain") { Text = Body(1000) };
                var recipients = Enumerable.Range(1, n).Select(i => MailboxAddress.Parse($"user{i}@example.test")).ToList();
                var sender = MailboxAddress.Parse(From);
                transactions = 0;
                for (var i = 0; i < recipients.Count; i += m)
                {
                    client.Send(message, sender, recipients.GetRange(i, Math.Min(m, recipients.Count - i)));
                    transactions++;
                }

                messages = 1;
            }

            client.Disconnect(true);
        }

        clock.Stop();
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        var jit = JitInfo.GetCompiledMethodCount(false);
        Console.WriteLine(FormattableString.Invariant(
            $"elapsed_ms={clock.Elapsed.TotalMilliseconds:0.000} messages={messages} transactions={transactions} cpu_ms={cpu.TotalMilliseconds:0.000} jit={jit} jit_span={jit - jitAtStart}"));
        return 0;
    }

    /// <summary>About <paramref name="bytes"/> bytes of ASCII text in lines of 76 characters.</summary>
    internal static string Body(int bytes)
    {
        var text = new StringBuilder(bytes + 80);
        var line = 0;
        while (text.Length < bytes)
        {
            text.Append((char)('a' + line % 26), 76).Append("\r\n");
            line++;
        }

        return text.ToString(0, bytes);
    }
}
