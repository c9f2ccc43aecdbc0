using System;

namespace SmtpHandler
{
    /// <summary>Delivery status notifications to ask for (RFC 3461), as Send-MailMessage names them.</summary>
    [Flags]
    public enum SmtpDeliveryNotification
    {
        None = 0,
        OnSuccess = 1,
        OnFailure = 2,
        Delay = 4,
        Never = 134217728,
    }
}
