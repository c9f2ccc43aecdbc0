namespace SmtpHandler.Commands
{
    /// <summary>What -Config got instead of a configuration; its text says what to give.</summary>
    public sealed class NotAConfig
    {
        private readonly string typeName;

        internal NotAConfig(object value)
        {
            typeName = value.GetType().Name;
        }

        public override string ToString() =>
            $"-Config takes a configuration made by New-SmtpHandlerConfig, not a {typeName}; for settings in a hashtable or a file use New-SmtpHandlerConfig -FromHashtable or -Path";
    }
}
