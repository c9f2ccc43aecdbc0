using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>Sends a message through the SMTP handler and writes one result per message.</summary>
    [Cmdlet(VerbsCommunications.Send, "SmtpMessage", SupportsShouldProcess = true)]
    [OutputType(typeof(SmtpSendResult))]
    public sealed class SendSmtpMessageCommand : SmtpCmdletBase
    {
        private readonly List<string> recipients = new();

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string[] To { get; set; } = Array.Empty<string>();

        [Parameter(Position = 1)]
        [Alias("sub")]
        public string? Subject { get; set; }

        [Parameter(Position = 2)]
        public string? Body { get; set; }

        [Parameter]
        public SwitchParameter BodyAsHtml { get; set; }

        [Parameter]
        public string? From { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? Cc { get; set; }

        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? Bcc { get; set; }

        [Parameter]
        public SmtpHandlerConfig? Config { get; set; }

        [Parameter(Position = 3)]
        [Alias("ComputerName")]
        [ValidateNotNullOrEmpty]
        public string? SmtpServer { get; set; }

        [Parameter]
        [ValidateRange(1, 65535)]
        public int Port { get; set; }

        /// <summary>STARTTLS, as in Send-MailMessage; port 465 still means implicit TLS.</summary>
        [Parameter]
        public SwitchParameter UseSsl { get; set; }

        [Parameter]
        [Credential]
        public PSCredential? Credential { get; set; }

        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int RecipientsPerMessage { get; set; }

        protected override void ProcessRecord() => recipients.AddRange(To);

        protected override void EndProcessing()
        {
            var config = EffectiveConfig();
            var mailer = new SmtpMailer(config, Log);
            var message = new SmtpMessage
            {
                From = From,
                To = recipients,
                Cc = Cc ?? Array.Empty<string>(),
                Bcc = Bcc ?? Array.Empty<string>(),
                Subject = Subject,
                TextBody = BodyAsHtml ? null : Body,
                HtmlBody = BodyAsHtml ? Body : null,
            };

            PreparedMessage prepared;
            try
            {
                prepared = mailer.Prepare(message);
            }
            catch (SmtpHandlerException ex)
            {
                ThrowSmtpError(ex);
                return;
            }

            if (!ShouldProcess($"{prepared.Recipients.Count} recipient(s) via {config}", $"Send '{prepared.Subject}'"))
            {
                return;
            }

            foreach (var result in mailer.Send(new[] { prepared }, CancelToken))
            {
                WriteObject(result);
                if (result.ErrorId != null)
                {
                    WriteError(ErrorRecords.Create(result.ErrorId, ErrorCategory.ConnectionError, result.Error!, config.SmtpServer));
                }

                foreach (var rejected in result.Rejected)
                {
                    WriteError(ErrorRecords.RecipientRejected(rejected, result));
                }
            }
        }

        /// <summary>-Config as given, with any inline connection parameter overriding it; or inline parameters alone.</summary>
        private SmtpHandlerConfig EffectiveConfig()
        {
            var bound = MyInvocation.BoundParameters;
            var baseConfig = Config ?? new SmtpHandlerConfig
            {
                SmtpServer = SessionState.PSVariable.GetValue("PSEmailServer") is string server && server.Length > 0 ? server : SmtpHandlerConfig.DefaultServer,
            };
            var port = bound.ContainsKey(nameof(Port)) ? Port : baseConfig.Port;
            var config = baseConfig with
            {
                SmtpServer = SmtpServer ?? baseConfig.SmtpServer,
                Port = port,
                TlsMode = bound.ContainsKey(nameof(UseSsl)) || bound.ContainsKey(nameof(Port))
                    ? SmtpHandlerConfig.ResolveTlsMode(port, false, UseSsl.IsPresent || baseConfig.TlsMode == SmtpTlsMode.StartTls)
                    : baseConfig.TlsMode,
                UserName = Credential?.UserName ?? baseConfig.UserName,
                Password = Credential?.Password ?? baseConfig.Password,
                RecipientsPerMessage = bound.ContainsKey(nameof(RecipientsPerMessage)) ? RecipientsPerMessage : baseConfig.RecipientsPerMessage,
            };
            try
            {
                return config.Validate();
            }
            catch (SmtpHandlerException ex)
            {
                ThrowSmtpError(ex);
                throw;
            }
        }
    }
}
