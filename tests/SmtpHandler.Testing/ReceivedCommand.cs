namespace SmtpHandler.Testing
{
    /// <summary>One command as the server received it, with where it stands in the session: what a script decides on.</summary>
    /// <param name="Connection">1 for the first connection the server accepted, 2 for the next...</param>
    /// <param name="Verb">CONNECT (before the greeting), TLS (before the server's TLS handshake: implicit TLS, or after its STARTTLS reply), EHLO, HELO, STARTTLS, AUTH, MAIL, RCPT, DATA, "." (end of data), RSET, NOOP, QUIT, or any other verb as sent (upper case).</param>
    /// <param name="Argument">The rest of the line: the address for MAIL and RCPT (without angle brackets), the mechanism only for AUTH.</param>
    /// <param name="AcceptedRecipients">Recipients accepted so far in the open transaction.</param>
    /// <param name="DeliveredOnConnection">Transactions completed (250 after the data) on this connection so far.</param>
    /// <param name="Seen">How often this verb with this argument has been received on any connection, this one included (1 the first time).</param>
    public sealed record ReceivedCommand(int Connection, string Verb, string Argument, int AcceptedRecipients, int DeliveredOnConnection, int Seen);
}
