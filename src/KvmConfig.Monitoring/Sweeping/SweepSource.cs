namespace KvmConfig.Monitoring.Sweeping;

/// <summary>Where a sweep's figures come from (<c>--source</c> of <c>top</c> and <c>serve</c>).</summary>
public enum SweepSource
{
    /// <summary><see cref="Proc"/> for a URI without a host part, <see cref="Libvirt"/> for one with a host.</summary>
    Auto,

    /// <summary>This host's kernel (<see cref="LocalSweeper"/>): microseconds per domain, host counters included.</summary>
    Proc,

    /// <summary>libvirt's bulk statistics alone (<see cref="RemoteSweeper"/>), as for a remote host: no host counters, no cgroup.</summary>
    Libvirt,
}

/// <summary>Parsing and resolving <see cref="SweepSource"/>.</summary>
public static class SweepSources
{
    /// <summary>The spellings <c>--source</c> accepts.</summary>
    public const string Choices = "auto, proc or libvirt";

    /// <summary><c>auto</c>, <c>proc</c> or <c>libvirt</c> (any case), or null.</summary>
    public static SweepSource? Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => SweepSource.Auto,
        "proc" => SweepSource.Proc,
        "libvirt" => SweepSource.Libvirt,
        _ => null,
    };

    /// <summary>
    /// True when <paramref name="uri"/> names this machine: no host part (<c>qemu:///system</c>,
    /// <c>qemu+unix:///system</c>, <c>test:///default</c>). A URI with a host is taken as another machine even when the
    /// host is this one (<c>qemu+ssh://localhost/system</c>): only the URI is looked at. A URI that does not parse as one
    /// is not local either; libvirt then says what is wrong with it.
    /// </summary>
    public static bool IsLocal(string uri) => Uri.TryCreate(uri, UriKind.Absolute, out Uri? parsed) && string.IsNullOrEmpty(parsed.Host);

    /// <summary>
    /// The source a sweep of <paramref name="uri"/> uses when <paramref name="asked"/> was asked for:
    /// <see cref="SweepSource.Proc"/> or <see cref="SweepSource.Libvirt"/>, never <see cref="SweepSource.Auto"/>; null
    /// when the combination cannot work (<see cref="SweepSource.Proc"/> for a URI naming another host, whose /proc is
    /// not here).
    /// </summary>
    public static SweepSource? Resolve(string uri, SweepSource asked) => (asked, IsLocal(uri)) switch
    {
        (SweepSource.Auto, true) => SweepSource.Proc,
        (SweepSource.Auto, false) => SweepSource.Libvirt,
        (SweepSource.Proc, false) => null,
        _ => asked,
    };
}
