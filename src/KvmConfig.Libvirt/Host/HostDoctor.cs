using KvmConfig.Config;
using KvmConfig.Core;
using KvmConfig.Core.Host;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Topology;
using KvmConfig.Linux;

namespace KvmConfig.Libvirt.Host;

/// <summary>What <c>doctor</c> found, with the check of the declaration it judged the host for.</summary>
/// <param name="Report">Every readiness check.</param>
/// <param name="Check">The declaration checked against the host (its errors leave the plan-based checks unknown).</param>
/// <param name="Root">The root the host's files were read under (<c>/</c> for this host).</param>
/// <param name="LibvirtUri">The libvirt asked for its version; null when none was.</param>
/// <param name="Plan">
/// The plan judged: the check's, or, when the check refused the declaration, the one it would have with the huge
/// pages it needs reserved; null when there is none.
/// </param>
public sealed record DoctorOutcome(DoctorReport Report, CheckReport Check, string Root, string? LibvirtUri, Plan? Plan);

/// <summary><c>kvmconfig doctor</c> as a library call: read the host and the declaration, judge every check.</summary>
public static class HostDoctor
{
    /// <summary>The libvirt asked when no <c>--connect</c> is given and the host is this one.</summary>
    public const string DefaultUri = "qemu:///system";

    /// <summary>
    /// Reads the host under <paramref name="sysroot"/> (null: this host), checks <paramref name="directory"/> against
    /// it, and asks <paramref name="libvirtUri"/> for its version (null: <see cref="DefaultUri"/> for this host, none
    /// for a sysroot, whose libvirt is not here). The declaration's own errors do not stop the doctor: the checks that
    /// need the plan then say so. Throws what reading the directory or the topology throws (KVC090 and the like).
    /// </summary>
    public static DoctorOutcome Run(string directory, string? sysroot, string? libvirtUri)
    {
        HostTopology host = (sysroot is null ? SysfsTopologyReader.ForHost() : SysfsTopologyReader.ForSysroot(sysroot)).Read();
        CheckReport check = DeclarationCheck.Run(directory, host);
        HostFacts facts = new HostFactsReader(sysroot ?? "/").Read(host.Online);
        string? uri = libvirtUri ?? (sysroot is null ? DefaultUri : null);
        Plan? plan = check.Plan ?? HugePageNeeds.PlanWithEnough(host, check.Declaration);
        DoctorReport report = Doctor.Run(new DoctorInput(facts, host, check.Declaration, plan, plan is null ? null : HugePageNeeds.Of(plan), Version(uri)));
        return new DoctorOutcome(report, check, sysroot ?? "/", uri, plan);
    }

    private static Fact<ulong> Version(string? uri)
    {
        if (uri is null)
        {
            return Fact<ulong>.NotKnown("a captured host has no libvirt to ask: give --connect URI for its daemon");
        }

        try
        {
            using LibvirtConnection connection = LibvirtConnection.Open(uri, readOnly: true);
            return Fact<ulong>.Of(connection.LibraryVersion());
        }
        catch (Exception e) when (e is LibvirtException or KvmConfigException or DllNotFoundException)
        {
            return Fact<ulong>.NotKnown($"libvirt at {uri} could not be asked: {e.Message}");
        }
    }
}
