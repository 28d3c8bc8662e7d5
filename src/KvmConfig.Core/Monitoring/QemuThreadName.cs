using System.Globalization;

namespace KvmConfig.Core.Monitoring;

/// <summary>
/// What a QEMU thread is, from its name (<c>/proc/PID/task/TID/comm</c>). QEMU names each vCPU thread
/// <c>CPU n/ACCEL</c> when it starts it (<c>accel/kvm/kvm-accel-ops.c</c>, <c>accel/tcg/tcg-accel-ops-mttcg.c</c>):
/// <c>CPU 3/KVM</c> under KVM, <c>CPU 3/TCG</c> under multi-threaded TCG. Single-threaded (round-robin) TCG runs
/// every vCPU on one thread named <c>ALL CPUs/TCG</c>, which has no per-vCPU figures and is not counted as one.
/// Every other thread of the process (the main loop <c>qemu-system-x86</c>, <c>IO ...</c> iothreads,
/// <c>vhost-PID</c>, <c>worker</c>, <c>call_rcu</c>) is emulator or I/O overhead, not guest CPU time.
/// </summary>
public static class QemuThreadName
{
    /// <summary>
    /// The vCPU index of a thread named <c>CPU n/KVM</c> or <c>CPU n/TCG</c> (a trailing newline, as comm files end
    /// with one, is ignored); null for any other name. Never throws: an unknown name is simply not a vCPU.
    /// </summary>
    public static int? VcpuIndex(ReadOnlySpan<char> comm)
    {
        // "CPU 3/KVM\n"
        //  1   2 3
        //  1 "CPU "   2 vCPU index (decimal, no sign)   3 accelerator: KVM or TCG
        ReadOnlySpan<char> name = comm.TrimEnd("\r\n");
        if (!name.StartsWith("CPU "))
        {
            return null;
        }

        ReadOnlySpan<char> rest = name["CPU ".Length..];
        int slash = rest.IndexOf('/');
        if (slash <= 0)
        {
            return null;
        }

        ReadOnlySpan<char> accelerator = rest[(slash + 1)..];
        if (accelerator is not ("KVM" or "TCG"))
        {
            return null;
        }

        return int.TryParse(rest[..slash], NumberStyles.None, CultureInfo.InvariantCulture, out int index) ? index : null;
    }
}
