using System;
using System.Collections;
using System.Collections.ObjectModel;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Net;
using System.Security;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// Wraps -AccessTokenScript for the engine: a function that runs the script block each time a connection logs in.
    /// The engine runs on the cmdlet's pipeline thread, where script blocks may run; anywhere else it refuses.
    /// </summary>
    internal static class TokenScript
    {
        private const string Description = "the token script (-AccessTokenScript)";
        private static readonly string[] TokenProperties = { "Token", "AccessToken", "access_token" };
        private static readonly string[] ExpiryProperties = { "ExpiresOn", "ExpiresOnUtc", "expires_on" };

        public static DelegateTokenSource Create(ScriptBlock script) => new(_ => Invoke(script), Description);

        private static OAuthToken? Invoke(ScriptBlock script)
        {
            if (Runspace.DefaultRunspace == null)
            {
                throw Failure("TokenScriptFailed", $"{Description} can run only on a PowerShell pipeline thread, and the token was asked for on another thread.", null);
            }

            Collection<PSObject> output;
            try
            {
                output = script.Invoke();
            }
            catch (PipelineStoppedException)
            {
                throw;
            }
            catch (RuntimeException ex)
            {
                throw Failure("TokenScriptFailed", $"{Description} failed: {ex.Message}", ex);
            }

            var values = output.Where(o => o?.BaseObject != null && !(o.BaseObject is string s && string.IsNullOrWhiteSpace(s))).ToList();
            if (values.Count == 0)
            {
                return null;
            }

            if (values.Count > 1)
            {
                throw Failure("TokenScriptInvalidOutput", $"{Description} returned {values.Count} objects; it must return one token: a string, a SecureString, or an object with a Token or AccessToken property. Send other output to Out-Null or Write-Verbose.", null);
            }

            var value = values[0];
            var token = AsText(value.BaseObject) ?? AsText(Property(value, TokenProperties));
            if (token == null)
            {
                throw Failure("TokenScriptInvalidOutput", $"{Description} returned a {value.BaseObject.GetType().FullName}, which is not a token: return a string, a SecureString, or an object with a Token or AccessToken property.", null);
            }

            return new OAuthToken(token, AsExpiry(Property(value, ExpiryProperties)));
        }

        private static object? Property(PSObject value, string[] names)
        {
            foreach (var name in names)
            {
                if (value.BaseObject is IDictionary dictionary)
                {
                    foreach (DictionaryEntry entry in dictionary)
                    {
                        if (string.Equals(entry.Key as string, name, StringComparison.OrdinalIgnoreCase))
                        {
                            return entry.Value;
                        }
                    }
                }
                else if (value.Properties[name] is PSPropertyInfo property)
                {
                    try
                    {
                        return property.Value;
                    }
                    catch (GetValueException)
                    {
                    }
                }
            }

            return null;
        }

        private static string? AsText(object? value) => (value is PSObject wrapped ? wrapped.BaseObject : value) switch
        {
            string text => text,
            SecureString secure => new NetworkCredential(string.Empty, secure).Password,
            _ => null,
        };

        private static DateTimeOffset? AsExpiry(object? value) => (value is PSObject wrapped ? wrapped.BaseObject : value) switch
        {
            DateTimeOffset offset => offset,
            DateTime time => new DateTimeOffset(time.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(time, DateTimeKind.Local) : time),
            _ => null,
        };

        private static SmtpHandlerException Failure(string errorId, string message, Exception? inner) =>
            new(errorId, SmtpFailureKind.AuthenticationFailed, message, Description, inner);
    }
}
