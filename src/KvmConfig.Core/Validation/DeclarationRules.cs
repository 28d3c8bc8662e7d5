using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Validation;

/// <summary>
/// The rules of DESIGN.md section 3 that need the host, and those that judge several values together (the
/// <c>[alerts]</c> thresholds, in <c>DeclarationRules.Alerts.cs</c>): a validated <see cref="Declaration"/> and a
/// <see cref="HostTopology"/> in, diagnostics out. Pure; each rule is one method, named after its descriptor.
/// </summary>
/// <remarks>
/// CPU pools, as the rules see them:
/// <list type="bullet">
/// <item><b>reserved</b>: the host's own CPUs (OS, emulator threads); no VM may be pinned there.</item>
/// <item><b>cpuset</b>: what VMs may use, never including reserved.</item>
/// <item><b>dedicated</b>: CPUs owned by one strict or float VM, explicit (<c>cpus = LIST</c>) or to be
/// planned (<c>cpus = auto</c>, counted by size).</item>
/// <item><b>shared pool</b>: cpuset minus every dedicated CPU; <c>cpuspinlock = none</c> VMs float there, at most
/// <c>overcommit</c> vCPUs per CPU.</item>
/// </list>
/// </remarks>
public static partial class DeclarationRules
{
    /// <summary>Checks <paramref name="declaration"/> against <paramref name="host"/>.</summary>
    public static IReadOnlyList<Diagnostic> Check(Declaration declaration, HostTopology host)
    {
        var context = new RuleContext(declaration, host);
        HostTopologyAssumed(context);
        HostCpuLists(context);
        MoreCpusThanVms(context);
        foreach (VmSpec vm in declaration.Vms)
        {
            MaxVmShare(context, vm);
            CpusNeedDedicatedPinning(context, vm);

            // Rules about the shape of a CPU list only make sense once its CPUs exist and are online, and not at
            // all for a shared-pool VM, whose list KVC045 already refuses.
            if (vm.Pinning != PinningMode.None && VmCpuList(context, vm))
            {
                VcpusFitSet(context, vm);
                WholeCores(context, vm);
                SpansNodes(context, vm);
            }

            NodesExist(context, vm);
            LimitAboveVcpus(context, vm);
            VcpusAboveMax(context, vm);
            NetShapingUnsupported(context, vm);
            RealtimeShared(context, vm);
            FloatOnIsolated(context, vm);
        }

        DedicatedOverlap(context);
        IsolateSharesCore(context);
        DedicatedCapacity(context);
        Overcommit(context);
        SharedPoolOnIsolated(context);
        Memory(context);
        HugePages(context);
        Governor(context);
        CpuFreqMax(context);
        ThresholdOrder(context);
        return context.Diagnostics;
    }

    private sealed class RuleContext(Declaration declaration, HostTopology host)
    {
        public Declaration Declaration { get; } = declaration;

        public HostTopology Host { get; } = host;

        public HostPolicy Policy => Declaration.Host;

        public CpuSet Reserved { get; } = declaration.Host.ReservedOn(host);

        /// <summary>The usable cpuset: as declared (or defaulted), minus reserved, minus what is not online.</summary>
        public CpuSet CpuSet { get; } = declaration.Host.CpuSetOn(host) & host.Online;

        public List<Diagnostic> Diagnostics { get; } = [];

        /// <summary>False when cpuset or reserved was written but refused: pool rules would judge the defaults.</summary>
        public bool PoolsKnown => !Policy.Origins.Invalid("cpuset") && !Policy.Origins.Invalid("reserved");

        public void Add(DiagnosticDescriptor rule, string message, SourceSpan? span, string? hint, params DiagnosticNote[] notes) =>
            Diagnostics.Add(Diagnostic.Create(rule, message, span, hint, notes.Length == 0 ? null : notes));

        /// <summary>Dedicated VMs with explicit CPUs, in declaration order.</summary>
        public IEnumerable<VmSpec> ExplicitDedicated => Declaration.Vms.Where(v => v.IsDedicated && v.Cpus is not null);

        /// <summary>The pools of the class remarks, counted once for every rule that needs them.</summary>
        public CpuPools Pools => _pools ??= CpuPools.Count(this);

        private CpuPools? _pools;
    }

    /// <summary>How the usable cpuset divides between dedicated VMs and the shared pool.</summary>
    /// <param name="Taken">CPUs of explicit dedicated VMs, plus the idle siblings of smt=isolate VMs' cores.</param>
    /// <param name="AutoDemand">CPUs the auto dedicated VMs will take: vCPUs, rounded up to whole cores under
    /// smt=isolate/require, plus one per VM with emulator=isolate.</param>
    /// <param name="AutoParts">The demand per VM, for messages.</param>
    /// <param name="SharedCpus">What is left for the shared pool (never negative).</param>
    private sealed record CpuPools(CpuSet Taken, int AutoDemand, IReadOnlyList<string> AutoParts, int SharedCpus)
    {
        public static CpuPools Count(RuleContext c)
        {
            var taken = new CpuSet.Builder();
            foreach (VmSpec vm in c.ExplicitDedicated)
            {
                taken.AddAll(vm.Smt == SmtPolicy.Isolate ? c.Host.CoresOf(vm.Cpus!) : vm.Cpus!);
            }

            int threads = Math.Max(1, c.Host.ThreadsPerCore);
            int demand = 0;
            var parts = new List<string>();
            foreach (VmSpec vm in c.Declaration.Vms.Where(v => v.IsDedicated && v.Cpus is null))
            {
                int cpus = vm.Smt is SmtPolicy.Isolate or SmtPolicy.Require ? (vm.Vcpus + threads - 1) / threads * threads : vm.Vcpus;
                demand += cpus;
                parts.Add($"{vm.Name} {cpus}");
            }

            // An isolated emulator needs a CPU of its own, except on a whole-core VM with an idle sibling to spare.
            int emulators = c.Declaration.Vms.Count(v => v.IsDedicated && v.Emulator == EmulatorPlacement.Isolate
                && !(v.Cpus is null && v.Smt is SmtPolicy.Isolate or SmtPolicy.Require && v.Vcpus % threads != 0));
            demand += emulators;
            if (emulators > 0)
            {
                parts.Add($"{Units.Plural(emulators, "CPU")} for isolated emulator threads");
            }

            CpuSet takenSet = taken.ToCpuSet() & c.CpuSet;
            return new CpuPools(takenSet, demand, parts, Math.Max(0, (c.CpuSet - takenSet).Count - demand));
        }
    }

    // "CPU 0", "CPUs 2-3": a CPU list as a noun phrase.
    private static string Cpus(CpuSet set) => set.Count == 1 ? $"CPU {set}" : $"CPUs {set}";
}
