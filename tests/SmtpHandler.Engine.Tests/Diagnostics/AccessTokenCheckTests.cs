using System;
using System.Linq;
using System.Text;
using Xunit;

namespace SmtpHandler.Tests
{
    /// <summary>An access token's claims, read without its signature, and what the doctor makes of them.</summary>
    public sealed class AccessTokenCheckTests
    {
        private static readonly DateTimeOffset Now = new(2026, 12, 6, 5, 0, 0, TimeSpan.Zero);

        private static string Token(string claims) =>
            $"{Jwt.Base64Url(Encoding.UTF8.GetBytes("{\"typ\":\"JWT\",\"alg\":\"RS256\"}"))}.{Jwt.Base64Url(Encoding.UTF8.GetBytes(claims))}.c2lnbmF0dXJl";

        private static long Unix(DateTimeOffset at) => at.ToUnixTimeSeconds();

        [Fact]
        public void Reads_audience_roles_scopes_tenant_app_user_and_times()
        {
            var claims = OAuthTokenClaims.Read(Token($"{{\"aud\":[\"https://outlook.office.com\",\"x\"],\"scp\":\"SMTP.Send offline_access\",\"tid\":\"t-1\",\"azp\":\"app-1\",\"preferred_username\":\"ann@contoso.com\",\"iss\":\"https://login.microsoftonline.com/t-1/v2.0\",\"exp\":{Unix(Now.AddHours(1))},\"nbf\":{Unix(Now)}}}"))!;

            Assert.Equal(new[] { "https://outlook.office.com", "x" }, claims.Audience);
            Assert.Equal(new[] { "SMTP.Send", "offline_access" }, claims.Scopes);
            Assert.Empty(claims.Roles);
            Assert.Equal("t-1", claims.TenantId);
            Assert.Equal("app-1", claims.AppId);
            Assert.Equal("ann@contoso.com", claims.UserPrincipalName);
            Assert.Equal(Now.AddHours(1), claims.ExpiresOn);
            Assert.Equal(Now, claims.NotBefore);
            Assert.False(claims.AppOnly);
            Assert.True(claims.FromMicrosoftEntra);
            Assert.Empty(AccessTokenCheck.Check(claims, null, "src", "ann@contoso.com", Now));
        }

        [Theory]
        [InlineData("not-a-jwt")]
        [InlineData("ya29.a0AfH6SMB")]
        [InlineData("a.b.c")]
        [InlineData("a.e30")]
        [InlineData("a..c")]
        public void An_opaque_token_has_no_claims_and_is_only_reported_as_not_decodable(string token)
        {
            Assert.Null(OAuthTokenClaims.Read(token));
            var finding = Assert.Single(AccessTokenCheck.Check(null, null, "src", "a@b", Now));
            Assert.Equal("AccessTokenNotDecodable", finding.Id);
            Assert.Equal(SmtpFindingSeverity.Information, finding.Severity);
        }

        [Theory]
        [InlineData("https://graph.microsoft.com", true)]
        [InlineData("00000003-0000-0000-c000-000000000000", true)]
        [InlineData("api://some-other-api", false)]
        public void A_token_for_another_service_is_the_wrong_audience(string audience, bool graph)
        {
            var claims = OAuthTokenClaims.Read(Token($"{{\"aud\":\"{audience}\",\"tid\":\"t\",\"roles\":[\"SMTP.SendAsApp\"]}}"))!;
            var finding = Assert.Single(AccessTokenCheck.Check(claims, null, "src", "a@b", Now));
            Assert.Equal("AccessTokenWrongAudience", finding.Id);
            Assert.Equal(graph, finding.Message.Contains("(Microsoft Graph)"));
            Assert.Contains("https://outlook.office365.com/.default", finding.Advice);
        }

        [Theory]
        [InlineData("https://outlook.office365.com")]
        [InlineData("https://outlook.office.com/")]
        [InlineData("https://outlook.office365.us")]
        [InlineData("00000002-0000-0ff1-ce00-000000000000")]
        public void Exchange_Online_in_any_cloud_is_the_right_audience(string audience) =>
            Assert.True(AccessTokenCheck.IsExchangeOnline(audience));

        [Fact]
        public void An_app_only_token_needs_SMTP_SendAsApp_and_a_user_s_token_SMTP_Send()
        {
            var app = OAuthTokenClaims.Read(Token("{\"aud\":\"https://outlook.office365.com\",\"tid\":\"t\",\"appid\":\"app-9\",\"roles\":[\"IMAP.AccessAsApp\"]}"))!;
            var user = OAuthTokenClaims.Read(Token("{\"aud\":\"https://outlook.office365.com\",\"tid\":\"t\",\"scp\":\"IMAP.AccessAsUser.All\"}"))!;
            var fullScope = OAuthTokenClaims.Read(Token("{\"aud\":\"https://outlook.office365.com\",\"tid\":\"t\",\"scp\":\"https://outlook.office.com/SMTP.Send\"}"))!;

            var appFinding = Assert.Single(AccessTokenCheck.Check(app, null, "src", "box@contoso.com", Now));
            Assert.Equal("AccessTokenWithoutSmtpPermission", appFinding.Id);
            Assert.Contains("New-ServicePrincipal -AppId app-9", appFinding.Advice);
            Assert.Contains("Add-MailboxPermission -Identity 'box@contoso.com'", appFinding.Advice);
            Assert.Contains("SMTP.Send", Assert.Single(AccessTokenCheck.Check(user, null, "src", "a@b", Now)).Advice);
            Assert.Empty(AccessTokenCheck.Check(fullScope, null, "src", "a@b", Now));
        }

        [Fact]
        public void A_token_not_from_Entra_is_judged_on_expiry_only()
        {
            var google = OAuthTokenClaims.Read(Token($"{{\"aud\":\"something\",\"iss\":\"https://accounts.google.com\",\"exp\":{Unix(Now.AddMinutes(-1))}}}"))!;
            Assert.Equal(new[] { "AccessTokenExpired" }, AccessTokenCheck.Check(google, null, "src", "a@b", Now).Select(f => f.Id));
        }

        [Fact]
        public void Expired_and_about_to_expire_are_told_from_the_claims_or_from_the_endpoint_s_expiry()
        {
            var good = "\"aud\":\"https://outlook.office365.com\",\"tid\":\"t\",\"roles\":[\"SMTP.SendAsApp\"]";
            Assert.Equal("AccessTokenExpired", Assert.Single(AccessTokenCheck.Check(OAuthTokenClaims.Read(Token($"{{{good},\"exp\":{Unix(Now.AddSeconds(-1))}}}")), null, "src", "a@b", Now)).Id);
            Assert.Equal("AccessTokenExpiringSoon", Assert.Single(AccessTokenCheck.Check(OAuthTokenClaims.Read(Token($"{{{good},\"exp\":{Unix(Now.AddMinutes(4))}}}")), null, "src", "a@b", Now)).Id);
            Assert.Empty(AccessTokenCheck.Check(OAuthTokenClaims.Read(Token($"{{{good},\"exp\":{Unix(Now.AddMinutes(6))}}}")), null, "src", "a@b", Now));
            Assert.Equal(new[] { "AccessTokenNotDecodable", "AccessTokenExpired" }, AccessTokenCheck.Check(null, Now.AddSeconds(-5), "src", "a@b", Now).Select(f => f.Id));
        }

        [Fact]
        public void The_claims_never_show_the_token()
        {
            var token = Token("{\"aud\":\"https://outlook.office365.com\",\"tid\":\"t\",\"roles\":[\"SMTP.SendAsApp\"]}");
            var shown = OAuthTokenClaims.Read(token)!.ToString();
            Assert.Equal("aud=https://outlook.office365.com; roles=SMTP.SendAsApp; tid=t", shown);
            Assert.DoesNotContain(token.Split('.')[1], shown);
        }
    }
}
