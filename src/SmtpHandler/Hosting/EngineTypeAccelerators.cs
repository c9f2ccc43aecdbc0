using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// PowerShell 7 only (ModuleInitializer calls it): the engine lives in a private load context, where
    /// PowerShell does not look for type literals. This names the engine types a script meets through the
    /// cmdlets as type accelerators, so [SmtpHandler.SmtpSendResult] resolves as it does on Windows PowerShell.
    /// PowerShell's TypeAccelerators class is not public API: where it is missing, nothing is named.
    /// </summary>
    internal static class EngineTypeAccelerators
    {
        private static readonly Type? Accelerators = typeof(PSObject).Assembly.GetType("System.Management.Automation.TypeAccelerators");

        // Not inlined: naming the engine types must happen after the loader is in place, not when the caller is compiled.
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static void Register() => Invoke("Add", type => new object[] { type.FullName!, type });

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static void Unregister() => Invoke("Remove", type => new object[] { type.FullName! });

        private static void Invoke(string methodName, Func<Type, object[]> arguments)
        {
            var method = Accelerators?.GetMethod(methodName, BindingFlags.Public | BindingFlags.Static);
            if (method == null)
            {
                return;
            }

            foreach (var type in Types())
            {
                method.Invoke(null, arguments(type));
            }
        }

        /// <summary>
        /// What <see cref="Walk"/> finds, written out: the walk reflects over every cmdlet and costs milliseconds
        /// of every import. A Pester test (Package.Tests.ps1) checks that this list and the walk agree.
        /// </summary>
        internal static Type[] Types() => new[]
        {
            typeof(IOAuthTokenSource),
            typeof(OAuthTokenClaims),
            typeof(SmtpAddressCheck),
            typeof(SmtpCertificateInfo),
            typeof(SmtpConnectionReport),
            typeof(SmtpFailureKind),
            typeof(SmtpFinding),
            typeof(SmtpFindingSeverity),
            typeof(SmtpHandlerConfig),
            typeof(SmtpHandlerException),
            typeof(SmtpProxy),
            typeof(SmtpProxyKind),
            typeof(SmtpRecipientResult),
            typeof(SmtpRecipientStatus),
            typeof(SmtpSendResult),
            typeof(SmtpSendStatus),
            typeof(SmtpService),
            typeof(SmtpTlsMode),
            typeof(SmtpTlsVersion),
        };

        /// <summary>
        /// Parameter and output types of the cmdlets, the types of their public properties (transitively), and
        /// the exception the cmdlets report. Only types the cmdlets already need are loaded: MailKit stays unloaded.
        /// </summary>
        internal static Type[] Walk()
        {
            var engine = typeof(SmtpHandlerConfig).Assembly;
            var found = new HashSet<Type>();
            var pending = new Stack<Type>();

            void Visit(Type? type)
            {
                if (type == null)
                {
                    return;
                }

                if (type.HasElementType)
                {
                    Visit(type.GetElementType());
                    return;
                }

                if (type.IsGenericType)
                {
                    foreach (var argument in type.GetGenericArguments())
                    {
                        Visit(argument);
                    }
                }

                if (type.Assembly == engine && type.IsPublic && found.Add(type))
                {
                    pending.Push(type);
                }
            }

            Visit(typeof(SmtpHandlerException));
            foreach (var cmdlet in typeof(EngineTypeAccelerators).Assembly.GetExportedTypes().Where(t => t.IsDefined(typeof(CmdletAttribute), false)))
            {
                foreach (var property in cmdlet.GetProperties().Where(p => p.IsDefined(typeof(ParameterAttribute), true)))
                {
                    Visit(property.PropertyType);
                }

                foreach (var output in cmdlet.GetCustomAttributes(typeof(OutputTypeAttribute), false).Cast<OutputTypeAttribute>())
                {
                    foreach (var name in output.Type)
                    {
                        Visit(name.Type);
                    }
                }
            }

            while (pending.Count > 0)
            {
                foreach (var property in pending.Pop().GetProperties(BindingFlags.Public | BindingFlags.Instance))
                {
                    Visit(property.PropertyType);
                }
            }

            return found.ToArray();
        }
    }
}
