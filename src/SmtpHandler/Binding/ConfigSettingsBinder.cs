using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Reflection;
using System.Security;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// -FromHashtable and -Path: sets a cmdlet's own parameters from keys named like them (case-insensitive), so a
    /// hashtable or a file builds exactly the configuration the same parameters would. Unknown keys, values of
    /// the wrong type and secrets are refused with an error naming the key; parameters given explicitly win.
    /// </summary>
    internal sealed class ConfigSettingsBinder
    {
        private readonly PSCmdlet cmdlet;
        private readonly Dictionary<string, PropertyInfo> settable;
        private readonly Dictionary<string, PropertyInfo> secrets;

        /// <param name="cmdlet">The cmdlet whose [Parameter] properties the keys name.</param>
        /// <param name="excluded">Parameters that are not settings (the ones that give the settings).</param>
        public ConfigSettingsBinder(PSCmdlet cmdlet, params string[] excluded)
        {
            this.cmdlet = cmdlet;
            var parameters = cmdlet.GetType()
                .GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.CanWrite && p.GetCustomAttributes<ParameterAttribute>().Any())
                .Where(p => !excluded.Contains(p.Name, StringComparer.OrdinalIgnoreCase))
                .ToList();
            secrets = parameters.Where(IsSecret).ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
            settable = parameters.Where(p => !IsSecret(p)).ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        }

        /// <summary>The parameters the settings gave a value (by their names), for a caller that must tell given values from defaults.</summary>
        public ISet<string> Applied { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        /// <summary>The keys a hashtable or file may hold, in a stable order.</summary>
        public IReadOnlyList<string> ValidKeys => settable.Keys.OrderBy(k => k, StringComparer.OrdinalIgnoreCase).ToList();

        /// <summary>
        /// Applies <paramref name="settings"/> to the cmdlet. A relative path in a path-valued key is taken
        /// relative to <paramref name="baseDirectory"/> when one is given (the folder of a settings file).
        /// </summary>
        public void Apply(IEnumerable<KeyValuePair<string, object?>> settings, string? baseDirectory)
        {
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var setting in settings)
            {
                var key = setting.Key?.Trim() ?? string.Empty;
                if (secrets.ContainsKey(key) || key.IndexOf("password", StringComparison.OrdinalIgnoreCase) >= 0 || key.Equals("UserName", StringComparison.OrdinalIgnoreCase))
                {
                    cmdlet.ThrowTerminatingError(ErrorRecords.SecretInConfiguration(key));
                }

                if (!settable.TryGetValue(key, out var property))
                {
                    cmdlet.ThrowTerminatingError(ErrorRecords.UnknownConfigurationKey(key, ValidKeys));
                    return;
                }

                if (!seen.Add(property.Name))
                {
                    cmdlet.ThrowTerminatingError(ErrorRecords.InvalidConfigurationValue(key, setting.Value, $"the key '{property.Name}' is given more than once."));
                }

                var value = setting.Value is PSObject wrapped ? wrapped.BaseObject : setting.Value;
                if (value == null || cmdlet.MyInvocation.BoundParameters.ContainsKey(property.Name))
                {
                    // No value means the parameter's default; a parameter given on the command line wins.
                    continue;
                }

                var converted = Convert(property, value);
                if (baseDirectory != null && IsPathParameter(property))
                {
                    converted = converted is string[] many ? many.Select(p => Rebase(p, baseDirectory)).ToArray() : Rebase((string)converted, baseDirectory);
                }

                Check(property, converted);
                property.SetValue(cmdlet, converted);
                Applied.Add(property.Name);
            }
        }

        /// <summary>A hashtable, an ordered dictionary or a PSCustomObject (from ConvertFrom-Json) as key/value pairs.</summary>
        public static IEnumerable<KeyValuePair<string, object?>> Read(object settings)
        {
            var value = settings is PSObject wrapped ? wrapped.BaseObject : settings;
            if (value is IDictionary dictionary)
            {
                foreach (DictionaryEntry entry in dictionary)
                {
                    yield return new KeyValuePair<string, object?>(entry.Key?.ToString() ?? string.Empty, entry.Value);
                }

                yield break;
            }

            foreach (var property in PSObject.AsPSObject(settings).Properties.Where(p => p.MemberType == PSMemberTypes.NoteProperty))
            {
                yield return new KeyValuePair<string, object?>(property.Name, property.Value);
            }
        }

        private static bool IsSecret(PropertyInfo property) =>
            property.PropertyType == typeof(PSCredential) || property.PropertyType == typeof(SecureString);

        private static bool IsPathParameter(PropertyInfo property) =>
            (property.PropertyType == typeof(string) || property.PropertyType == typeof(string[])) &&
            (property.Name.EndsWith("Path", StringComparison.Ordinal) || property.Name.EndsWith("Directory", StringComparison.Ordinal));

        private static string Rebase(string path, string baseDirectory) =>
            path.Length == 0 || Path.IsPathRooted(path) || path.StartsWith("~", StringComparison.Ordinal) || path.IndexOf(':') >= 0
                ? path
                : Path.Combine(baseDirectory, path);

        /// <summary>Converts strictly, as parameter binding would: no truthy strings for switches, no fractions for counts.</summary>
        private object Convert(PropertyInfo property, object value)
        {
            var type = property.PropertyType;
            var key = property.Name;
            if (type == typeof(SwitchParameter) || type == typeof(bool))
            {
                var flag = value switch
                {
                    bool b => b,
                    SwitchParameter s => s.IsPresent,
                    _ => throw Terminate(ErrorRecords.InvalidConfigurationValue(key, value, "expects true or false.")),
                };
                return type == typeof(bool) ? flag : new SwitchParameter(flag);
            }

            if (type == typeof(string))
            {
                return value as string ?? throw Terminate(ErrorRecords.InvalidConfigurationValue(key, value, "expects a string."));
            }

            if (type == typeof(string[]))
            {
                if (value is string single)
                {
                    return new[] { single };
                }

                if (value is IEnumerable items && items.Cast<object?>().Select(i => i is PSObject p ? p.BaseObject : i).All(i => i is string))
                {
                    return items.Cast<object?>().Select(i => (string)(i is PSObject p ? p.BaseObject : i)!).ToArray();
                }

                throw Terminate(ErrorRecords.InvalidConfigurationValue(key, value, "expects a string or a list of strings."));
            }

            if (type == typeof(int) || type == typeof(double))
            {
                var number = ToNumber(value) ?? throw Terminate(ErrorRecords.InvalidConfigurationValue(key, value, "expects a number."));
                if (type == typeof(double))
                {
                    return (double)number;
                }

                if (number != decimal.Truncate(number) || number < int.MinValue || number > int.MaxValue)
                {
                    throw Terminate(ErrorRecords.InvalidConfigurationValue(key, value, "expects a whole number."));
                }

                return (int)number;
            }

            if (type.IsEnum)
            {
                var names = string.Join(", ", Enum.GetNames(type));
                if (value is string name && Enum.GetNames(type).FirstOrDefault(n => n.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase)) is string match)
                {
                    return Enum.Parse(type, match);
                }

                throw Terminate(ErrorRecords.InvalidConfigurationValue(key, value, $"expects one of: {names}."));
            }

            try
            {
                return LanguagePrimitives.ConvertTo(value, type, CultureInfo.InvariantCulture);
            }
            catch (PSInvalidCastException)
            {
                throw Terminate(ErrorRecords.InvalidConfigurationValue(key, value, $"expects a value of type {type.Name}."));
            }
        }

        /// <summary>Applies the parameter's own range, not-empty and set checks, which binding would have run.</summary>
        private void Check(PropertyInfo property, object value)
        {
            foreach (var attribute in property.GetCustomAttributes<ValidateArgumentsAttribute>())
            {
                string? problem = attribute switch
                {
                    ValidateNotNullOrEmptyAttribute when value is string s && s.Length == 0 => "must not be empty.",
                    ValidateNotNullOrEmptyAttribute when value is string[] a && (a.Length == 0 || a.Any(string.IsNullOrEmpty)) => "must not be empty.",
                    ValidateRangeAttribute range when value is IComparable comparable && OutOfRange(comparable, range) => $"must be between {range.MinRange} and {range.MaxRange}.",
                    ValidateSetAttribute set when value is string s && !set.ValidValues.Contains(s, StringComparer.OrdinalIgnoreCase) => $"must be one of: {string.Join(", ", set.ValidValues)}.",
                    _ => null,
                };
                if (problem != null)
                {
                    cmdlet.ThrowTerminatingError(ErrorRecords.InvalidConfigurationValue(property.Name, value, problem));
                }
            }
        }

        private static bool OutOfRange(IComparable value, ValidateRangeAttribute range)
        {
            try
            {
                var type = value.GetType();
                return value.CompareTo(System.Convert.ChangeType(range.MinRange, type, CultureInfo.InvariantCulture)) < 0 ||
                       value.CompareTo(System.Convert.ChangeType(range.MaxRange, type, CultureInfo.InvariantCulture)) > 0;
            }
            catch (Exception ex) when (ex is InvalidCastException || ex is OverflowException || ex is FormatException)
            {
                return false;
            }
        }

        private static decimal? ToNumber(object value)
        {
            try
            {
                return value switch
                {
                    bool => null,
                    string s => decimal.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : null,
                    IConvertible c when value is byte || value is sbyte || value is short || value is ushort || value is int || value is uint ||
                                        value is long || value is ulong || value is float || value is double || value is decimal =>
                        c.ToDecimal(CultureInfo.InvariantCulture),
                    _ => null,
                };
            }
            catch (OverflowException)
            {
                return null;
            }
        }

        private PipelineStoppedException Terminate(ErrorRecord record)
        {
            cmdlet.ThrowTerminatingError(record);
            return new PipelineStoppedException();
        }
    }
}
