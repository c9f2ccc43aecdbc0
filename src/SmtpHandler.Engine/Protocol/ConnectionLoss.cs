using System;
using System.IO;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;

namespace SmtpHandler
{
    /// <summary>Which exceptions mean the line to the server is gone, so that a new connection may do better.</summary>
    internal static class ConnectionLoss
    {
        /// <summary>
        /// Whether <paramref name="ex"/> says the connection broke, timed out or was closed by the server (421),
        /// rather than that the server refused something. The caller's own cancellation is for the caller to rule out.
        /// </summary>
        public static bool Means(Exception ex) =>
            ex is IOException || ex is SocketException || ex is SmtpProtocolException || ex is ServiceNotConnectedException ||
            ex is TimeoutException || ex is OperationCanceledException ||
            (ex is SmtpCommandException command && (int)command.StatusCode == ReplyCodes.ServiceClosing);
    }
}
