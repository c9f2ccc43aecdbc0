namespace SmtpHandler.Testing
{
    /// <summary>The server's limits as a session meets them: too many sessions at once, and a recipient quota.</summary>
    internal sealed partial class SmtpConversation
    {
        // Counted in the server's sessions at once (and left when the session ends).
        private bool admitted;

        /// <summary>Admits the session, or refuses it at the greeting as one too many (false: it ends).</summary>
        private bool AdmitAtGreeting()
        {
            if (Options.MaxConcurrentSessions <= 0)
            {
                return true;
            }

            if (server.TryAdmit())
            {
                admitted = true;
                return true;
            }

            if (Options.RefuseConcurrencyAtMail || Options.RefuseConcurrencyAtEndOfData)
            {
                // Refused at MAIL or at the end of data instead, for as long as it stays one too many.
                return true;
            }

            session.RefusedAsTooMany = true;
            Send(Options.ConcurrencyReply + "\r\n");
            socket.Close();
            return false;
        }

        /// <summary>The refusal of a MAIL command for a limit (one session too many, a used-up quota), or null.</summary>
        private string? LimitAtMail()
        {
            if (Options.MaxConcurrentSessions > 0 && !admitted && !Options.RefuseConcurrencyAtEndOfData)
            {
                if (!server.TryAdmit())
                {
                    session.RefusedAsTooMany = true;
                    return Options.ConcurrencyReply;
                }

                admitted = true;
            }

            if (server.QuotaUsedUp)
            {
                session.QuotaRefusals++;
                return Options.QuotaReply;
            }

            return null;
        }

        /// <summary>The refusal of a message's data, at its final ".", for one session too many (RefuseConcurrencyAtEndOfData), or null.</summary>
        private string? LimitAtEndOfData()
        {
            if (Options.MaxConcurrentSessions <= 0 || admitted || !Options.RefuseConcurrencyAtEndOfData)
            {
                return null;
            }

            if (server.TryAdmit())
            {
                admitted = true;
                return null;
            }

            session.RefusedAsTooMany = true;
            return Options.ConcurrencyReply;
        }

        /// <summary>The refusal of a recipient past the quota, or null (the recipient is counted against it).</summary>
        private string? QuotaAtRecipient()
        {
            if (Options.RecipientQuota <= 0 || from == null || server.TryTakeQuota())
            {
                return null;
            }

            session.QuotaRefusals++;
            return Options.QuotaReply;
        }
    }
}
