using System;
using System.Collections;
using System.IO;
using System.Linq;
using System.Management.Automation;

namespace SmtpHandler.Commands
{
    /// <summary>
    /// Lets a path parameter take Get-ChildItem's output: a file object becomes its provider path (PSPath) or full
    /// name. Without it, Windows PowerShell 5.1 turns a FileInfo into its bare name, which resolves against the
    /// current location instead of the file's folder.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    public sealed class FilePathTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            var value = inputData is PSObject ps ? ps.BaseObject : inputData;
            if (value is string || value == null)
            {
                return inputData;
            }

            if (value is IEnumerable many)
            {
                return many.Cast<object?>().Select(ToPath).ToArray();
            }

            return ToPath(inputData);
        }

        private static object? ToPath(object? item)
        {
            var value = item is PSObject ps ? ps.BaseObject : item;
            if (value is FileSystemInfo file)
            {
                return PSObject.AsPSObject(item).Properties["PSPath"]?.Value as string ?? file.FullName;
            }

            return item;
        }
    }
}
