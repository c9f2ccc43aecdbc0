using System;
using System.Net;
using MailKit.Security;

namespace SmtpHandler
{
    /// <summary>Step 7: AUTH, under the policy sending follows (<see cref="AuthenticationPolicy"/>), with the mechanism sending would use.</summary>
    internal sealed partial class SmtpDiagnosis
    {
        private void Authenticate(EhloCapabilities capabilities)
        {
            if (!config.HasCredential)
            {
                return;
            }

            if (AuthenticationPolicy.OnConnection(config, report.Encrypted, Endpoint) is { } plaintext)
            {
                Add(plaintext.ToFinding());
                return;
            }

            if (config.TokenSource != null)
            {
                AuthenticateWithToken(capabilities, config.TokenSource);
                return;
            }

            if (capabilities.AuthenticationMechanisms.Length == 0)
            {
                Add(Findings.AuthenticationNotOffered(Endpoint, config.UserName, !report.Encrypted && report.StartTlsOffered == true));
                return;
            }

            var mechanism = SaslMechanismChoice.ForPassword(capabilities.AuthenticationMechanisms);
            if (mechanism == null)
            {
                Add(Findings.NoUsableAuthenticationMechanism(Endpoint, capabilities.AuthenticationMechanisms));
                return;
            }

            if (!report.Encrypted)
            {
                Add(Findings.AuthenticationInPlaintext(config.UserName));
            }

            Login(SaslMechanismChoice.Create(mechanism, new NetworkCredential(config.UserName, config.Password), config.SmtpServer), Findings.PasswordRefusedAdvice);
        }

        /// <summary>XOAUTH2 with a token fetched now, as sending does; no token is fetched when the server can't take it.</summary>
        private void AuthenticateWithToken(EhloCapabilities capabilities, IOAuthTokenSource source)
        {
            if (AuthenticationPolicy.XOAuth2Offered(capabilities.AuthenticationMechanisms, Endpoint, config.SmtpServer) is { } notOffered)
            {
                Add(notOffered.ToFinding());
                return;
            }

            OAuthToken token;
            try
            {
                log.Step($"Getting an access token from {source.Description}");
                token = source.GetToken(log, cancellation);
            }
            catch (SmtpHandlerException ex)
            {
                Add(Findings.From(ex));
                return;
            }

            if (AuthenticationPolicy.TokenShape(token, source.Description, config.UserName) is { } badToken)
            {
                Add(badToken.ToFinding());
                return;
            }

            secrets.AddSecret(token.AccessToken);
            report.TokenExpiresOn = token.ExpiresOn;

            // The claims say what the server will think of the token: for whom, with which permission, until when.
            report.TokenClaims = OAuthTokenClaims.Read(token.AccessToken);
            foreach (var finding in AccessTokenCheck.Check(report.TokenClaims, token.ExpiresOn, source.Description, config.UserName, DateTimeOffset.UtcNow))
            {
                Add(finding);
            }

            Login(new SaslMechanismOAuth2(config.UserName!, token.AccessToken), Findings.TokenRefusedAdvice);
        }

        /// <summary>Runs one SASL exchange and reports it; the client's lines appear in the transcript only as the mask.</summary>
        private void Login(SaslMechanism sasl, string advice)
        {
            var mechanism = sasl.MechanismName;
            report.AuthenticationMechanism = mechanism;
            SmtpReply? reply = null;
            try
            {
                var command = $"AUTH {mechanism}";
                var shown = command;
                if (sasl.SupportsInitialResponse)
                {
                    var initial = sasl.Challenge(null, cancellation);
                    secrets.AddSent(initial);
                    command += " " + (initial.Length == 0 ? "=" : initial);
                    shown += " " + SecretRedactor.Mask;
                }

                reply = Wire.Send("AUTH", command, shown);
                for (var round = 0; reply.Code == ReplyCodes.AuthenticationContinue && round < 10; round++)
                {
                    var challenge = reply.Lines.Count > 0 ? reply.Lines[0].Trim() : string.Empty;
                    var answer = sasl.Challenge(challenge, cancellation) ?? string.Empty;
                    secrets.AddSent(answer);
                    reply = Wire.Send("AUTH", answer, SecretRedactor.Mask);
                }
            }
            catch (Exception ex) when (ex is not SmtpWireException && ex is not OperationCanceledException)
            {
                // The mechanism could not answer the server's challenge (a malformed NTLM message, a SCRAM proof that
                // does not match): an exchange under way is cancelled as RFC 4954 says, and the report tells why.
                if (reply != null)
                {
                    report.AuthenticationReply = Wire.Send("AUTH", "*").ToString();
                }

                report.Authenticated = false;
                Add(Findings.AuthenticationExchangeFailed(Endpoint, mechanism, ex.Message));
                return;
            }

            report.AuthenticationReply = reply.ToString();
            report.Authenticated = reply.Code == ReplyCodes.AuthenticationSucceeded;
            if (reply.Code != 235)
            {
                Add(Refused(reply, $"AUTH {mechanism}", null) ?? Findings.AuthenticationFailed(Endpoint, config.UserName, mechanism, reply, advice));
            }
        }

        /// <summary>The finding for a refusal Exchange Online gives when a setup step is missing; null for any other reply.</summary>
        private SmtpFinding? Refused(SmtpReply reply, string command, string? address)
        {
            var kind = ExchangeReplies.Classify(reply.Code, reply.Text);
            return kind == ExchangeRefusal.None
                ? null
                : Findings.ExchangeRefused(kind, Endpoint, command, reply, config.UserName, address, config.TokenSource != null, report.TokenClaims?.AppId);
        }
    }
}
