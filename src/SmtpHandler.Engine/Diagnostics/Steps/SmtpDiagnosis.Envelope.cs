using System.Collections.Generic;
using System.Linq;

namespace SmtpHandler
{
    /// <summary>
    /// Step 8: MAIL FROM and RCPT TO for the addresses asked about, then RSET, so nothing is sent (never DATA). Exchange
    /// Online may refuse a sender the login may not use (550 5.7.60) here already; the From header it checks only after
    /// DATA, which this step never sends.
    /// </summary>
    internal sealed partial class SmtpDiagnosis
    {
        private void CheckEnvelope()
        {
            if (envelope == null)
            {
                return;
            }

            var sender = envelope.From ?? (config.DefaultFrom == null ? string.Empty : MailAddressParser.Parse(config.DefaultFrom, "DefaultFrom").Address);
            var mail = Wire.Send("MAIL FROM", $"MAIL FROM:<{sender}>");
            report.Sender = new SmtpAddressCheck(sender, mail.IsSuccess, mail.Code, mail.Text);
            if (!mail.IsSuccess)
            {
                Add(Refused(mail, "MAIL FROM", sender) ?? Findings.SenderRejected(Endpoint, sender, mail));
                report.Recipients = envelope.To.Select(to => new SmtpAddressCheck(to, null, null, null)).ToList().AsReadOnly();
            }
            else
            {
                var checks = new List<SmtpAddressCheck>();
                foreach (var to in envelope.To)
                {
                    var rcpt = Wire.Send("RCPT TO", $"RCPT TO:<{to}>");
                    checks.Add(new SmtpAddressCheck(to, rcpt.IsSuccess, rcpt.Code, rcpt.Text));
                    if (!rcpt.IsSuccess)
                    {
                        Add(Refused(rcpt, "RCPT TO", to) ?? Findings.RecipientRejected(Endpoint, to, rcpt));
                    }
                }

                report.Recipients = checks.AsReadOnly();
            }

            var reset = Wire.Send("RSET", "RSET");
            if (!reset.IsSuccess)
            {
                Add(Findings.ResetRefused(Endpoint, reset));
            }
        }
    }
}
