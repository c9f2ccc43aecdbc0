using System;
using System.Globalization;

namespace SmtpHandler
{
    /// <summary>
    /// The errors of S/MIME and DKIM settings, each with a stable ErrorId and the parameter at fault. All are
    /// raised while the settings are read, before any connection.
    /// </summary>
    internal static class MessageSecurityErrors
    {
        public const string Expired = "SmimeCertificateExpired";
        public const string NotYetValid = "SmimeCertificateNotYetValid";
        public const string NotForEmail = "SmimeCertificateNotForEmail";
        public const string NoPrivateKey = "SmimeCertificateNoPrivateKey";
        public const string NoAddress = "SmimeCertificateNoAddress";
        public const string InvalidEncryptionCertificate = "InvalidEncryptionCertificate";
        public const string NoEncryptionCertificate = "NoEncryptionCertificate";
        public const string IncompleteDkim = "IncompleteDkimSettings";
        public const string InvalidDkimDomain = "InvalidDkimDomain";
        public const string InvalidDkimSelector = "InvalidDkimSelector";
        public const string InvalidDkimKey = "InvalidDkimKey";

        public static SmtpHandlerException CertificateExpired(string parameter, string path, string subject, DateTime notAfterUtc) =>
            Fail(Expired, parameter, path, $"the certificate '{subject}' in '{path}' expired on {Utc(notAfterUtc)}; renew it.");

        public static SmtpHandlerException CertificateNotYetValid(string parameter, string path, string subject, DateTime notBeforeUtc) =>
            Fail(NotYetValid, parameter, path, $"the certificate '{subject}' in '{path}' is not valid before {Utc(notBeforeUtc)}; check this computer's clock.");

        public static SmtpHandlerException CertificateNotForEmail(string parameter, string path, string subject, string why) =>
            Fail(NotForEmail, parameter, path, $"the certificate '{subject}' in '{path}' is not valid for e-mail protection: {why}.");

        public static SmtpHandlerException CertificateWithoutAddress(string parameter, string path, string subject) =>
            Fail(NoAddress, parameter, path, $"the certificate '{subject}' in '{path}' names no e-mail address (subjectAltName rfc822Name or E= in the subject), so no recipient can be matched to it.");

        public static SmtpHandlerException Signing(string path, string message) =>
            Fail(CertificateFiles.ErrorId, SmimeSigningKey.CertificateParameter, path, message);

        public static SmtpHandlerException Encryption(string path, string message) =>
            Fail(InvalidEncryptionCertificate, "EncryptionCertificatePath", path, message);

        public static SmtpHandlerException Dkim(string errorId, string parameter, object? target, string message) =>
            Fail(errorId, parameter, target, message);

        private static SmtpHandlerException Fail(string errorId, string parameter, object? target, string message) =>
            new(errorId, SmtpFailureKind.InvalidConfiguration, $"{parameter}: {message}", target) { ParameterName = parameter };

        private static string Utc(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
    }
}
