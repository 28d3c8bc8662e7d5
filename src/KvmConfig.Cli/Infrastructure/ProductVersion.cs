using System.Reflection;

namespace KvmConfig.Cli.Infrastructure;

/// <summary>This build's version and the commit it was built from, as <c>kvmconfig --version</c> prints them.</summary>
internal static class ProductVersion
{
    // The SDK writes "VERSION+COMMIT" into the informational version when it builds from a git checkout.
    private static readonly string Informational =
        typeof(ProductVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>The version number, e.g. <c>0.1.0</c>.</summary>
    public static string Number => Informational.Split('+')[0];

    /// <summary>The commit, shortened to 12 hex digits, or null when the build did not record one.</summary>
    public static string? Commit => Informational.Split('+') is [_, { Length: > 0 } commit] ? commit[..Math.Min(12, commit.Length)] : null;

    /// <summary><c>kvmconfig 0.1.0 (commit 0123456789ab)</c>, for <c>--version</c>.</summary>
    public static string Text => Commit is { } commit ? $"kvmconfig {Number} (commit {commit})" : $"kvmconfig {Number}";

    /// <summary>The <c>version</c> member that opens every JSON document: <c>0.1.0+0123456789ab</c> (semver build metadata).</summary>
    public static string Json => Commit is { } commit ? $"{Number}+{commit}" : Number;
}
