using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;

namespace KvmConfig.Config;

/// <summary>
/// Every failure that stops this project before a declaration can be checked (a missing or unsafe directory, a file
/// that cannot be read): what went wrong, where, and what to do, in one place. What a declaration says wrong is a
/// <see cref="Diagnostic"/>, not one of these.
/// </summary>
internal static class ConfigErrors
{
    private const string IncumbentHint = "give the output of an earlier kvmconfig plan --format json for this host";

    /// <summary>An incumbent file larger than any plan.</summary>
    public static KvmConfigException IncumbentTooLarge(string path, long length, long most) =>
        new(Rules.Unreadable, $"{path} is {length} bytes, more than a plan file holds ({most})", path, IncumbentHint);

    /// <summary>An incumbent file that cannot be read.</summary>
    public static KvmConfigException IncumbentUnreadable(string path, Exception inner) =>
        new(Rules.Unreadable, $"cannot read the incumbent file {path}: {inner.Message}", path, IncumbentHint, inner);

    /// <summary>An incumbent file that is not JSON.</summary>
    public static KvmConfigException IncumbentNotJson(string path, Exception inner) =>
        new(Rules.Unreadable, $"the incumbent file {path} is not JSON: {inner.Message}", path, IncumbentHint, inner);

    public static KvmConfigException DirectoryLinkBroken(string directory, string problem) =>
        new(Rules.NoDirectory, $"{directory} is a symbolic link {problem}, not a configuration directory", directory,
            $"point it at the directory that holds the *.conf files (ls -l {directory}), or pass that directory with --config-dir");

    public static KvmConfigException DirectoryIsAFile(string directory) =>
        new(Rules.NoDirectory, $"{directory} is a file, not a configuration directory", directory,
            "pass the directory that holds the *.conf files with --config-dir");

    public static KvmConfigException NoDirectory(string directory) =>
        new(Rules.NoDirectory, $"configuration directory {directory} does not exist", directory,
            $"create it (mkdir -m 755 {directory}) and add files such as 00-cpu.conf, or pass --config-dir DIR");

    public static KvmConfigException CannotList(string directory, Exception inner) =>
        new(Rules.Unreadable, $"cannot list {directory}: {inner.Message}", directory, "check the directory's permissions", inner);

    public static KvmConfigException DirectoryNamedConf(string misnamed, string directory) =>
        new(Rules.Unreadable, $"{misnamed} is a directory, not a *.conf file: whatever it was meant to declare would be skipped", misnamed,
            $"rename it so it does not end in .conf, or move the file it holds into {directory}");

    public static KvmConfigException FileTooLarge(string file, long length, long most) =>
        new(Rules.Unreadable,
            $"{file} is {length} bytes; kvmconfig reads configuration files of at most {most / 1024} KiB (a host's whole declaration is a few KiB)",
            file,
            "split it into one file per VM, or look for a file that was appended to by mistake (log output, a loop)");

    public static KvmConfigException CannotReadFile(string file, Exception inner) =>
        new(Rules.Unreadable, $"cannot read {file}: {inner.Message}", file, "check the file's permissions", inner);

    public static KvmConfigException CannotRead(string what, string path, string why, Exception inner) =>
        new(Rules.Unreadable, $"cannot read {what} {path}: {why}", path, $"check that {path} exists and is readable (ls -lL {path})", inner);

    public static KvmConfigException NotARegularFile(string path) =>
        new(Rules.Unreadable, $"{path} is not a regular file (a FIFO, socket or device); kvmconfig reads only regular *.conf files", path,
            $"remove it or rename it so it does not end in .conf (ls -lL {path})");

    public static KvmConfigException AlertsWithErrors(string directory, string what) =>
        new(Rules.Unreadable, $"the [alerts] thresholds in {directory} have errors: {what}", directory,
            $"kvmconfig check --config-dir {directory} shows them");
}
