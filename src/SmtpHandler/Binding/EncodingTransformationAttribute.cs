using System;
using System.Management.Automation;
using System.Text;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// Lets -Encoding take what Send-MailMessage takes: an <see cref="Encoding"/>, a name PowerShell uses
    /// (utf8, utf8BOM, utf8NoBOM, ascii, unicode, bigendianunicode, utf32, bigendianutf32, latin1, oem, ansi,
    /// default), an encoding's web name (iso-8859-1) or a code page number.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    public sealed class EncodingTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            var value = inputData is PSObject ps ? ps.BaseObject : inputData;
            switch (value)
            {
                case Encoding:
                case null:
                    return value;
                case int codePage:
                    return Lookup(() => Encoding.GetEncoding(codePage), codePage.ToString(System.Globalization.CultureInfo.InvariantCulture));
                case string name:
                    return FromName(name.Trim());
                default:
                    return inputData;
            }
        }

        private static Encoding FromName(string name)
        {
            switch (name.ToLowerInvariant())
            {
                case "utf8":
                case "utf-8":
                case "utf8nobom":
                case "default":
                    return new UTF8Encoding(false);
                case "utf8bom":
                    return new UTF8Encoding(true);
                case "ascii":
                    return new ASCIIEncoding();
                case "unicode":
                    return new UnicodeEncoding(false, true);
                case "bigendianunicode":
                    return new UnicodeEncoding(true, true);
                case "utf32":
                    return new UTF32Encoding(false, true);
                case "bigendianutf32":
                    return new UTF32Encoding(true, true);
                case "latin1":
                    return Lookup(() => Encoding.GetEncoding(28591), name);
                case "oem":
                    return Lookup(() => Encoding.GetEncoding(System.Globalization.CultureInfo.CurrentCulture.TextInfo.OEMCodePage), name);
                case "ansi":
                    return Lookup(() => Encoding.GetEncoding(System.Globalization.CultureInfo.CurrentCulture.TextInfo.ANSICodePage), name);
            }

            return int.TryParse(name, out var codePage)
                ? Lookup(() => Encoding.GetEncoding(codePage), name)
                : Lookup(() => Encoding.GetEncoding(name), name);
        }

        private static Encoding Lookup(Func<Encoding> get, string name)
        {
            try
            {
                return get();
            }
            catch (Exception ex) when (ex is ArgumentException || ex is NotSupportedException)
            {
                throw new ArgumentTransformationMetadataException($"'{name}' is not an encoding: use a name such as utf8, ascii, unicode or iso-8859-1, a code page number, or an Encoding object.", ex);
            }
        }
    }
}
