using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>Which Exchange Online refusal a reply (or an error quoting it) is, and the finding each gives: pure rules.</summary>
    public sealed class ExchangeRepliesTests
    {
        [Theory]
        [InlineData(535, "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.", "SmtpClientAuthenticationDisabled")]
        [InlineData(535, "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox.", "SmtpClientAuthenticationDisabled")]
        [InlineData(535, "5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully. Contact your administrator.", "BlockedBySecurityPolicy")]
        [InlineData(535, "5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy.", "BlockedBySecurityPolicy")]
        [InlineData(535, "5.7.139 Authentication unsuccessful, basic authentication is disabled.", "BasicAuthenticationNotSupported")]
        [InlineData(535, "5.7.139 Authentication unsuccessful, the user credentials were incorrect.", "AuthenticationUnsuccessful")]
        [InlineData(535, "5.7.3 Authentication unsuccessful [DM6PR01CA0001.namprd01.prod.outlook.com]", "AuthenticationUnsuccessful")]
        [InlineData(550, "5.7.30 Basic authentication is not supported for Client Submission.", "BasicAuthenticationNotSupported")]
        [InlineData(550, "5.7.60 SMTP; Client does not have permissions to send as this sender", "SendAsDenied")]
        [InlineData(554, "5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message", "SendAsDenied")]
        [InlineData(432, "4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded", "ConcurrentConnectionLimit")]
        [InlineData(554, "5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message", "SubmissionQuotaExceeded")]
        [InlineData(550, "5.5.105 External recipients are not allowed", "ExternalRecipientNotAllowed")]
        public void Each_refusal_admins_meet_is_told_apart(int code, string text, string expected)
        {
            Assert.Equal(expected, ExchangeReplies.Classify(code, text).ToString());

            // Quoted in an error message, with the code in front, it is the same refusal.
            Assert.Equal(expected, ExchangeReplies.Classify(null, $"smtp.office365.com:587 refused the login of 'a@b': {code} {text}").ToString());
        }

        [Theory]
        [InlineData(535, "5.7.8 Authentication credentials invalid")]
        [InlineData(550, "5.1.1 User unknown")]
        [InlineData(421, "4.3.2 Service shutting down")]
        [InlineData(554, "5.2.0 STOREDRV.Deliver.Exception:PropertyErrorException")]
        [InlineData(550, "5.7.300 not a code we know")]
        [InlineData(250, "2.0.0 queued as 10.5.7.3")]
        [InlineData(535, "")]
        public void Other_replies_are_none_of_them(int code, string text) =>
            Assert.Equal(ExchangeRefusal.None, ExchangeReplies.Classify(code, text));

        [Fact]
        public void Without_its_code_a_generic_code_needs_Exchange_s_words()
        {
            Assert.Equal(ExchangeRefusal.None, ExchangeReplies.Classify(null, "421 4.3.2 Service shutting down"));
            Assert.Equal(ExchangeRefusal.None, ExchangeReplies.Classify(null, "535 5.7.3 go away"));
        }

        [Fact]
        public void SmtpClientAuthenticationDisabled_names_both_cmdlets_with_the_mailbox()
        {
            var reply = new SmtpReply(535, new[] { "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant." });
            var finding = Findings.ExchangeRefused(ExchangeRefusal.SmtpClientAuthenticationDisabled, "smtp.office365.com:587", "AUTH XOAUTH2", reply, "reports@contoso.com", null, withToken: true);

            Assert.Equal("SmtpClientAuthenticationDisabled", finding.Id);
            Assert.Equal(SmtpFindingSeverity.Error, finding.Severity);
            Assert.Contains("535 5.7.139", finding.Message);
            Assert.Contains("Set-CASMailbox -Identity 'reports@contoso.com' -SmtpClientAuthenticationDisabled $false", finding.Advice);
            Assert.Contains("Set-TransportConfig -SmtpClientAuthenticationDisabled $false", finding.Advice);
        }

        [Fact]
        public void A_refused_login_advises_the_token_steps_with_a_token_and_the_password_steps_without()
        {
            var reply = new SmtpReply(535, new[] { "5.7.3 Authentication unsuccessful" });
            var withToken = Findings.ExchangeRefused(ExchangeRefusal.AuthenticationUnsuccessful, "x:587", "AUTH XOAUTH2", reply, "a@b", null, withToken: true);
            var withPassword = Findings.ExchangeRefused(ExchangeRefusal.AuthenticationUnsuccessful, "x:587", "AUTH LOGIN", reply, "a@b", null, withToken: false);

            Assert.Equal("AuthenticationFailed", withToken.Id);
            Assert.Contains("New-ServicePrincipal", withToken.Advice);
            Assert.Contains("Add-MailboxPermission -Identity 'a@b'", withToken.Advice);
            Assert.Contains("password", withPassword.Advice);
            Assert.DoesNotContain("New-ServicePrincipal", withPassword.Advice);
        }

        [Fact]
        public void Sending_s_error_gets_a_pointer_to_Test_SmtpConnection_only_for_these_refusals()
        {
            Assert.Equal(
                "Exchange Online refusal (SendAsDenied): Test-SmtpConnection with this configuration and -From <the sender> names the fix.",
                Findings.ExchangeRefusalHint("The server refused ann@x for message 'S': 550 Sender <s@x> refused: 5.7.60 SMTP; Client does not have permissions to send as this sender"));
            Assert.Contains("(SmtpClientAuthenticationDisabled)", Findings.ExchangeRefusalHint("x refused the XOAUTH2 login of 'a': 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant."));
            Assert.Null(Findings.ExchangeRefusalHint("The server refused ann@x for message 'S': 550 5.1.1 User unknown"));
            Assert.Null(Findings.ExchangeRefusalHint(null));
        }
    }
}
