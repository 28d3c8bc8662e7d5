using System.Globalization;
using System.Text;
using KvmConfig.Config;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Cli.Rendering;

/// <summary>How <c>kvmconfig plan</c> prints text.</summary>
/// <param name="HostLabel">How the host is named (<c>this host</c>, <c>sysroot DIR</c>).</param>
/// <param name="Explain">Add each VM's reasons after the table.</param>
/// <param name="Verbose">Also print the check's notes.</param>
/// <param name="Color">ANSI colours (only on a terminal).</param>
internal sealed record PlanTextOptions(string HostLabel, bool Explain = false, bool Verbose = false, bool Color = false);

/// <summary>
/// The text of <c>kvmconfig plan</c>: the check's findings when it failed (exactly as <c>check</c> prints them, and
/// nothing else: never a partial plan); otherwise its warnings, then the placement table, the reasons
/// (<c>--explain</c>), a CPU map per NUMA node and the fragmentation left on each node.
/// </summary>
internal static class PlanText
{
    // A map line holds at most this many characters, so that 20 to 112 CPUs per node stay readable in a terminal.
    private const int MapWidth = 100;

    /// <summary>The whole text output for <paramref name="planned"/>, ending with a newline.</summary>
    public static string Render(PlanOutcome.Planned planned, HostTopology host, PlanTextOptions options)
    {
        (CheckReport report, Core.Planning.Plan plan) = (planned.Report, planned.Plan);

        var sb = new StringBuilder();
        foreach (Diagnostic d in report.Diagnostics.Where(d => options.Verbose || d.Severity != Severity.Info))
        {
            sb.Append(DiagnosticRenderer.Render(d, report.Source, options.Color)).Append('\n');
        }

        var roles = new CpuRoles(plan, host);
        sb.Append(CultureInfo.InvariantCulture, $"plan for {Units.Plural(plan.Vms.Count, "VM")} in {report.Source.Directory}, ")
            .Append(CultureInfo.InvariantCulture, $"against {options.HostLabel} ({Units.Plural(host.OnlineCpuCount, "CPU")}, {Units.Plural(host.Nodes.Count, "NUMA node")})\n\n");
        AppendTable(sb, plan, roles, report.Declaration.Host, options.Color);
        AppendMoves(sb, plan, options.Color);
        if (options.Explain)
        {
            AppendExplanations(sb, plan, options.Color);
        }

        AppendPools(sb, plan);
        AppendMap(sb, host, roles, options.Color);
        AppendFragmentation(sb, plan, options.Color);
        return sb.ToString();
    }

    // ---- (1b) what stays and what moves -----------------------------------------------------------------

    private static void AppendMoves(StringBuilder sb, Core.Planning.Plan plan, bool color)
    {
        if (plan.Kept.Count > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"kept where they run: {Units.Plural(plan.Kept.Count, "VM")} ({string.Join(", ", plan.Vms.Where(v => plan.Kept.Contains(v.Name)).Select(v => v.Name))})\n");
        }

        if (plan.Moves.Count > 0)
        {
            sb.Append(Bold($"Moves ({plan.Moves.Count}):", color)).Append('\n');
            foreach (Core.Planning.PlanMove move in plan.Moves)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  {move.Vm}: CPUs {move.From} -> {move.To}: {move.Why}\n");
            }
        }

        if (plan.Kept.Count > 0 || plan.Moves.Count > 0)
        {
            sb.Append('\n');
        }
    }

    // ---- (1) the table ------------------------------------------------------------------------------------

    private static void AppendTable(StringBuilder sb, Core.Planning.Plan plan, CpuRoles roles, HostPolicy policy, bool color)
    {
        var rows = new List<string[]> { new[] { "VM", "key", "vCPUs", "CPUs", "node(s)", "memory", "hugepages", "emulator CPUs", "policy" } };
        foreach (VmPlacement vm in plan.Vms)
        {
            int index = IndexOf(roles.Dedicated, vm);
            rows.Add(
            [
                vm.Name,
                index < 0 ? "~" : CpuRoles.Key(index),
                vm.Spec.Vcpus.ToString(CultureInfo.InvariantCulture),
                vm.Spec.IsDedicated ? Show(vm.Cpus) : "shared pool",
                Show(vm.NumaNodes),
                vm.Spec.MemoryMiB is { } mib ? Units.MiB(mib) : "-",
                vm.HugePages > 0 ? $"{vm.HugePages} x {PageSize(vm.Spec.HugePages)}" : "-",
                !plan.SharedPool.IsEmpty && vm.EmulatorCpus == plan.SharedPool ? "shared pool" : Show(vm.EmulatorCpus),
                WithScheduling(Policy(vm.Spec, policy), vm.Spec.Scheduling),
            ]);
        }

        AppendColumns(sb, rows, color);
        sb.Append('\n');
    }

    /// <summary>The policy, then the scheduling class when it is not the default (<c>strict/isolate fifo:10</c>).</summary>
    internal static string WithScheduling(string policy, SchedulingPolicy scheduling) =>
        scheduling.Class == SchedulerClass.Other ? policy : $"{policy} {scheduling}";

    /// <summary>
    /// Pinning and SMT for dedicated VMs (<c>strict/prefer</c>, <c>float/isolate</c>); <c>shared 1:3</c> for the
    /// pool, with the host's overcommit.
    /// </summary>
    internal static string Policy(VmSpec vm, HostPolicy policy) =>
        vm.IsDedicated ? $"{Lower(vm.Pinning)}/{Lower(vm.Smt)}" : $"shared {policy.Overcommit}";

    private static void AppendExplanations(StringBuilder sb, Core.Planning.Plan plan, bool color)
    {
        sb.Append(Bold("Why each VM landed where it did:", color)).Append('\n');
        foreach (VmPlacement vm in plan.Vms)
        {
            sb.Append(vm.Name).Append('\n');
            foreach (string line in vm.Explanation)
            {
                sb.Append("  - ").Append(line).Append('\n');
            }
        }

        sb.Append('\n');
    }

    private static void AppendPools(StringBuilder sb, Core.Planning.Plan plan)
    {
        sb.Append(CultureInfo.InvariantCulture, $"reserved: {ShowCount(plan.Reserved)}; ")
            .Append(CultureInfo.InvariantCulture, $"shared pool: {ShowCount(plan.SharedPool)}; ")
            .Append(CultureInfo.InvariantCulture, $"free: {ShowCount(plan.Free)}\n\n");
    }

    // ---- (2) the CPU map ----------------------------------------------------------------------------------

    /// <summary>
    /// One block per NUMA node with CPUs: a line of CPU numbers and, under each, the mark of its user, in CPU order
    /// and wrapped every <see cref="MapWidth"/> characters. Cells are as wide as the widest CPU number or VM key.
    /// </summary>
    private static void AppendMap(StringBuilder sb, HostTopology host, CpuRoles roles, bool color)
    {
        sb.Append(Bold("CPU map", color));
        if (roles.Dedicated.Count > 0)
        {
            sb.Append(": ").Append(string.Join(' ', roles.Dedicated.Select((vm, i) => $"{CpuRoles.Key(i)}={vm.Name}")));
        }

        sb.Append('\n');
        IReadOnlySet<CpuRole> present = roles.Present;
        var marks = new List<string>();
        foreach ((CpuRole role, string mark, string meaning) in CpuRoles.Marks)
        {
            if (present.Contains(role))
            {
                marks.Add($"{mark} {meaning}");
            }
        }

        if (marks.Count > 0)
        {
            sb.Append("  ").Append(string.Join(", ", marks)).Append('\n');
        }

        sb.Append('\n');
        List<NumaNode> nodes = host.Nodes.Where(n => !n.Cpus.IsEmpty).ToList();
        int cell = Math.Max(
            roles.Dedicated.Count == 0 ? 1 : CpuRoles.Key(roles.Dedicated.Count - 1).Length,
            host.Online.IsEmpty ? 1 : Digits(host.Online.Last));
        int label = nodes.Count == 0 ? 0 : nodes.Max(n => $"node{n.Id}".Length) + 2;
        int perLine = Math.Max(8, (MapWidth - label) / (cell + 1));
        if (perLine >= 16)
        {
            perLine -= perLine % 8;
        }

        foreach (NumaNode node in nodes)
        {
            int[] cpus = node.Cpus.ToArray();
            for (int start = 0; start < cpus.Length; start += perLine)
            {
                int[] chunk = cpus[start..Math.Min(cpus.Length, start + perLine)];
                string prefix = start == 0 ? $"node{node.Id}" : "";
                sb.Append(prefix.PadRight(label));
                sb.Append(string.Join(' ', chunk.Select(c => c.ToString(CultureInfo.InvariantCulture).PadLeft(cell)))).Append('\n');
                sb.Append(new string(' ', label));
                sb.Append(string.Join(' ', chunk.Select(c => Paint(CpuRoles.Mark(roles.Of(c)).PadLeft(cell), roles.Of(c), color)))).Append('\n');
            }

            sb.Append('\n');
        }

        if (!host.Offline.IsEmpty)
        {
            sb.Append(CultureInfo.InvariantCulture, $"offline CPUs (not shown): {host.Offline}\n\n");
        }
    }

    // ---- (3) fragmentation --------------------------------------------------------------------------------

    /// <summary>
    /// Per node: free CPUs (the shared pool's included), free whole cores, the stranded ones (free CPUs that cannot
    /// host a whole core, or too few for the typical VM) with their share of the free CPUs, and memory left for VMs.
    /// </summary>
    private static void AppendFragmentation(StringBuilder sb, Core.Planning.Plan plan, bool color)
    {
        sb.Append(Bold("Fragmentation", color))
            .Append(CultureInfo.InvariantCulture, $" (typical VM: {Units.Plural(plan.TypicalVmCpus, "CPU")}; the shared pool counts as free):\n");
        var rows = new List<string[]> { new[] { "node", "free CPUs", "free whole cores", "stranded CPUs", "ratio", "free memory" } };
        foreach (NodeFragmentation f in plan.Fragmentation)
        {
            rows.Add(
            [
                $"node{f.Node}",
                f.FreeCpus.Count.ToString(CultureInfo.InvariantCulture),
                f.FreeWholeCores.ToString(CultureInfo.InvariantCulture),
                f.StrandedCpus.IsEmpty ? "0" : $"{f.StrandedCpus.Count} ({f.StrandedCpus})",
                f.Ratio.ToString("0%", CultureInfo.InvariantCulture),
                f.FreeMemoryMiB is { } mib ? Units.MiB(mib) : "unknown",
            ]);
        }

        AppendColumns(sb, rows, color);
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    // Columns separated by three spaces, the header in bold when coloured; trailing spaces trimmed.
    private static void AppendColumns(StringBuilder sb, List<string[]> rows, bool color)
    {
        int columns = rows[0].Length;
        int[] widths = Enumerable.Range(0, columns).Select(c => rows.Max(r => r[c].Length)).ToArray();
        for (int r = 0; r < rows.Count; r++)
        {
            var line = new StringBuilder();
            for (int c = 0; c < columns; c++)
            {
                line.Append(c == columns - 1 ? rows[r][c] : rows[r][c].PadRight(widths[c] + 3));
            }

            string text = line.ToString().TrimEnd();
            sb.Append(r == 0 ? Bold(text, color) : text).Append('\n');
        }
    }

    private static int IndexOf(IReadOnlyList<VmPlacement> vms, VmPlacement vm)
    {
        for (int i = 0; i < vms.Count; i++)
        {
            if (ReferenceEquals(vms[i], vm))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The huge page size as written in the declaration: <c>2M</c>, <c>1G</c>.</summary>
    internal static string? PageSize(HugePageBacking backing) => backing switch
    {
        HugePageBacking.TwoMiB => "2M",
        HugePageBacking.OneGiB => "1G",
        _ => null,
    };

    private static string Paint(string text, CpuUse use, bool color)
    {
        if (!color)
        {
            return text;
        }

        // VM keys cycle through the six bright colours; the host's and nobody's CPUs are dim.
        string sgr = use.Role switch
        {
            CpuRole.Vm or CpuRole.Emulator => $"1;{91 + (use.Vm % 6)}",
            CpuRole.Shared => "36",
            _ => "2",
        };
        return $"\e[{sgr}m{text}\e[0m";
    }

    private static string Bold(string text, bool color) => color ? $"\e[1m{text}\e[0m" : text;

    private static string Lower<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static string Show(CpuSet set) => set.IsEmpty ? "-" : set.ToString();

    private static string ShowCount(CpuSet set) => set.IsEmpty ? "none" : $"{set} ({Units.Plural(set.Count, "CPU")})";

    private static int Digits(int n) => n.ToString(CultureInfo.InvariantCulture).Length;

}
