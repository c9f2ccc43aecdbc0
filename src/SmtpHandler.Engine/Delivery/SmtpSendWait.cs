using System;

namespace SmtpHandler
{
    /// <summary>A wait of a send, told before it begins: how long, and why in words ("30 messages/minute: next in 1.8 s").</summary>
    public sealed class SmtpSendWait
    {
        public SmtpSendWait(SmtpSendWaitReason reason, TimeSpan delay, string text)
        {
            Reason = reason;
            Delay = delay;
            Text = text;
        }

        public SmtpSendWaitReason Reason { get; }

        public TimeSpan Delay { get; }

        public string Text { get; }

        public override string ToString() => Text;
    }
}
