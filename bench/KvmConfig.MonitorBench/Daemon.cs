namespace KvmConfig.MonitorBench;

/// <summary>The libvirt daemon the harness runs against.</summary>
internal static class Daemon
{
    /// <summary>The system instance of the QEMU driver, whose domains <c>kvmconfig serve</c> samples.</summary>
    public const string Uri = "qemu:///system";
}
