namespace SmtpHandler.Testing
{
    /// <summary>One AUTH exchange the server finished.</summary>
    /// <param name="Mechanism">PLAIN, LOGIN, CRAM-MD5 or XOAUTH2.</param>
    /// <param name="User">The user name the client gave, when it could be read.</param>
    /// <param name="Response">The client's response, decoded: "user=...^Aauth=Bearer ...^A^A" for XOAUTH2, "authzid^@user^@password" for PLAIN.</param>
    public sealed record LoginAttempt(int Connection, string Mechanism, string? User, string Response, bool Succeeded);
}
