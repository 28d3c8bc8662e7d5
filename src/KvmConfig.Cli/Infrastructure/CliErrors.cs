using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;

namespace KvmConfig.Cli.Infrastructure;

/// <summary>The failures the commands themselves report (the libraries keep theirs), rendered by <c>FailureRenderer</c>.</summary>
internal static class CliErrors
{
    /// <summary>An output file named by <paramref name="option"/> cannot be written.</summary>
    public static KvmConfigException CannotWriteReport(string file, string option, Exception inner) =>
        new(Rules.Unreadable, $"cannot write the report {Path.GetFullPath(file)}: {inner.Message}", file,
            $"give {option} a file in a directory that exists and that you may write to");
}
