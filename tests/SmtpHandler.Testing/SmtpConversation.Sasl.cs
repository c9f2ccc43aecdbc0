using System;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace SmtpHandler.Testing
{
    /// <summary>AUTH: PLAIN, LOGIN, CRAM-MD5 and XOAUTH2, checked against the options' users and tokens.</summary>
    internal sealed partial class SmtpConversation
    {
        private bool Authenticate(string argument)
        {
            var parts = argument.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
            var mechanism = parts.Length > 0 ? parts[0].ToUpperInvariant() : string.Empty;
            var initial = parts.Length > 1 ? parts[1] : null;

            // The script sees the mechanism only; a scripted reply ends the exchange before any challenge.
            var action = Ask("AUTH", mechanism);
            if (action != null)
            {
                return Respond(action, "235 2.7.0 Authentication successful");
            }

            if (!OffersAuth)
            {
                return Respond(null, "503 5.5.1 Error: authentication not enabled");
            }

            if (!Options.AuthMechanisms.Split(' ').Contains(mechanism, StringComparer.OrdinalIgnoreCase))
            {
                return Respond(null, "504 5.5.4 Unrecognized authentication type");
            }

            string? user;
            string response;
            bool succeeded;
            switch (mechanism)
            {
                case "PLAIN":
                {
                    if ((initial ??= Challenge(string.Empty)) == null)
                    {
                        return false;
                    }

                    response = Decode(initial) ?? initial!;
                    var fields = response.Split('\0');
                    user = fields.Length == 3 ? fields[1] : null;
                    succeeded = CheckPassword(user, fields.Length == 3 ? fields[2] : null);
                    break;
                }

                case "LOGIN":
                {
                    if ((initial ??= Challenge("VXNlcm5hbWU6")) == null || Challenge("UGFzc3dvcmQ6") is not string password)
                    {
                        return false;
                    }

                    user = Decode(initial);
                    response = user + "\0" + Decode(password);
                    succeeded = CheckPassword(user, Decode(password));
                    break;
                }

                case "CRAM-MD5":
                {
                    var challenge = $"<{Guid.NewGuid():N}@{Options.ServerName}>";
                    if (Challenge(Convert.ToBase64String(Encoding.ASCII.GetBytes(challenge))) is not string answer)
                    {
                        return false;
                    }

                    response = Decode(answer) ?? answer;
                    var space = response.LastIndexOf(' ');
                    user = space > 0 ? response.Substring(0, space) : null;
                    succeeded = Options.Users == null ||
                        (user != null && Options.Users.TryGetValue(user, out var secret) && response.Substring(space + 1) == CramDigest(secret, challenge));
                    break;
                }

                case "XOAUTH2":
                    return XOAuth2(initial);
                default:
                    return Respond(null, "504 5.5.4 Unrecognized authentication type");
            }

            return Finish(mechanism, user, response, succeeded, "535 5.7.8 Authentication credentials invalid");
        }

        private bool XOAuth2(string? initial)
        {
            if ((initial ??= Challenge(string.Empty)) == null)
            {
                return false;
            }

            if (Decode(initial) is not string response)
            {
                return Respond(null, "501 5.5.2 Cannot decode the XOAUTH2 response");
            }

            // "user=NAME^Aauth=Bearer TOKEN^A^A", as Google and Microsoft document it; anything else is refused.
            var fields = response.Split('\u0001');
            var user = fields[0].StartsWith("user=", StringComparison.Ordinal) ? fields[0].Substring(5) : null;
            var token = fields.Length > 1 && fields[1].StartsWith("auth=Bearer ", StringComparison.Ordinal) ? fields[1].Substring(12) : null;
            var succeeded = user != null && token != null && response == SmtpTestServer.XOAuth2Response(user, token) &&
                Options.AcceptedTokens.ContainsKey(token) && (Options.OAuthUser == null || Options.OAuthUser == user);
            if (!succeeded)
            {
                // As Google and Microsoft do: an error challenge, the client's empty answer, then the failure.
                var error = "{\"status\":\"401\",\"schemes\":\"bearer\",\"scope\":\"https://outlook.office365.com/.default\"}";
                if (Challenge(Convert.ToBase64String(Encoding.UTF8.GetBytes(error))) == null)
                {
                    return false;
                }
            }

            return Finish("XOAUTH2", user, response, succeeded, $"535 5.7.3 Authentication unsuccessful [{Options.ServerName}]");
        }

        private bool Finish(string mechanism, string? user, string response, bool succeeded, string refusal)
        {
            server.Record(new LoginAttempt(session.Number, mechanism, user, response, succeeded));
            if (succeeded)
            {
                authenticated = true;
                session.AuthenticatedUser = user;
            }

            return Respond(null, succeeded ? "235 2.7.0 Authentication successful" : refusal);
        }

        /// <summary>Sends a 334 challenge and reads the answer (recorded like a command); null when the client closed.</summary>
        private string? Challenge(string challenge)
        {
            Send("334 " + challenge + "\r\n");
            return ReadCommand();
        }

        private bool CheckPassword(string? user, string? password) =>
            Options.Users == null || (user != null && Options.Users.TryGetValue(user, out var expected) && expected == password);

        private static string CramDigest(string secret, string challenge)
        {
            using var hmac = new HMACMD5(Encoding.UTF8.GetBytes(secret));
            return string.Concat(hmac.ComputeHash(Encoding.ASCII.GetBytes(challenge)).Select(b => b.ToString("x2")));
        }

        private static string? Decode(string? base64)
        {
            try
            {
                return base64 == null ? null : Encoding.UTF8.GetString(Convert.FromBase64String(base64));
            }
            catch (FormatException)
            {
                return null;
            }
        }
    }
}
