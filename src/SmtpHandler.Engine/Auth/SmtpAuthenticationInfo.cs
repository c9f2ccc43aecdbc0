using System;

namespace SmtpHandler
{
    /// <summary>How a connection logged in: never the password or token, only what can be shown.</summary>
    public sealed class SmtpAuthenticationInfo
    {
        public SmtpAuthenticationInfo(string userName, string mechanism, DateTimeOffset? tokenExpiresOn)
        {
            UserName = userName;
            Mechanism = mechanism;
            TokenExpiresOn = tokenExpiresOn;
        }

        public string UserName { get; }

        /// <summary>The SASL mechanism used: XOAUTH2 with a token; PLAIN, LOGIN, ... with a password.</summary>
        public string Mechanism { get; }

        /// <summary>When the OAuth access token used expires, when known; null with a password.</summary>
        public DateTimeOffset? TokenExpiresOn { get; }

        public override string ToString() => $"{UserName} via {Mechanism}";
    }
}
