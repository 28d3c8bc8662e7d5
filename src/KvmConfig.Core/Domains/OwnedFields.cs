namespace KvmConfig.Core.Domains;

/// <summary>
/// The field names of <see cref="OwnedState"/> and how a <see cref="DomainTuning"/> turns into fields: one code path
/// for the desired state and for the state read from a domain, so both print a setting the same way.
/// </summary>
internal static class OwnedFields
{
    /// <summary>The marker for "every device of this kind" in a desired device field.</summary>
    public const string EveryDevice = "*";

    public static string VcpuPin(int vcpu) => $"vcpupin {vcpu}";

    public static string VcpuSched(int vcpu) => $"vcpusched {vcpu}";

    public static string MemNode(int cell) => $"numatune memnode {cell}";

    public static string CellCpus(int cell) => $"numa cell {cell} cpus";

    public static string CellMemory(int cell) => $"numa cell {cell} memory";

    public static string Disk(string disk, string iotune) => $"disk {disk} {iotune}";

    public static string Interface(string iface, string direction) => $"interface {iface} {direction} average";

    public static string KBytesPerSec(long? value) => value is { } v ? $"{OwnedValues.Number(v)} KB/s" : OwnedValues.None;

    /// <summary>
    /// The fields of <paramref name="t"/>: only its managed (non-null) members. Device fields come from
    /// <paramref name="devices"/> when given (a domain's, one per device), else from the tuning as
    /// <see cref="EveryDevice"/> fields.
    /// </summary>
    public static List<OwnedField> Of(DomainTuning t, IEnumerable<OwnedField>? devices)
    {
        var fields = new List<OwnedField>
        {
            new("vcpus", OwnedValues.Number(t.Vcpus)),
            new("vcpus max", OwnedValues.Number(t.VcpusMax ?? t.Vcpus)),
            new("vcpu placement", OwnedValues.Placement(t.VcpuPlacement)),
            new("vcpu cpuset", OwnedValues.Cpus(t.VcpuCpus)),
            new("emulatorpin", OwnedValues.Cpus(t.EmulatorCpus)),
        };

        for (int i = 0; i < t.VcpuPins.Count; i++)
        {
            fields.Add(new(VcpuPin(i), OwnedValues.Cpus(t.VcpuPins[i])));
        }

        if (t.CpuShares is { } shares)
        {
            fields.Add(new("cputune shares", OwnedValues.Number(shares)));
        }

        if (t.CpuCap is { } cap)
        {
            fields.Add(new("cputune global_quota", OwnedValues.Cap(cap)));
        }

        if (t.VcpuSchedulers is { } schedulers)
        {
            string[] perVcpu = SchedulerPerVcpu(schedulers, t.VcpusMax ?? t.Vcpus);
            for (int i = 0; i < perVcpu.Length; i++)
            {
                fields.Add(new(VcpuSched(i), perVcpu[i]));
            }
        }

        if (t.MemoryKiB is { } memory)
        {
            fields.Add(new("memory", OwnedValues.KiB(memory)));
        }

        if (t.NumaMemory is { } policy)
        {
            fields.Add(new("numatune memory", OwnedValues.Policy(policy.Mode, policy.Nodes)));
        }

        if (t.MemNodes is { } memNodes)
        {
            List<MemNode> distinct = memNodes.DistinctBy(m => m.CellId).ToList();
            fields.Add(new("numatune memnodes", OwnedValues.Number(distinct.Count)));
            fields.AddRange(distinct.Select(m => new OwnedField(MemNode(m.CellId), OwnedValues.Policy(m.Mode, m.Nodes))));
        }

        if (t.Topology is { } topology)
        {
            fields.Add(new("cpu topology", OwnedValues.Topology(topology)));
        }

        if (t.Cells is { } cells)
        {
            // A guest without <numa> and a guest with one cell both see one node.
            List<NumaCell> distinct = cells.DistinctBy(c => c.Id).ToList();
            fields.Add(new("numa cells", OwnedValues.Number(Math.Max(1, distinct.Count))));
            if (distinct.Count > 1)
            {
                foreach (NumaCell cell in distinct)
                {
                    fields.Add(new(CellCpus(cell.Id), OwnedValues.Cpus(cell.Vcpus)));
                    if (cell.MemoryKiB is { } kib)
                    {
                        fields.Add(new(CellMemory(cell.Id), OwnedValues.KiB(kib)));
                    }
                }
            }
        }

        if (t.HugePages is { } pages)
        {
            fields.Add(new("hugepages", OwnedValues.HugePages(pages)));
        }

        if (t.BlkioWeight is { } weight)
        {
            fields.Add(new("blkiotune weight", OwnedValues.Number(weight)));
        }

        if (devices is not null)
        {
            fields.AddRange(devices);
            return fields;
        }

        if (t.DiskThrottle is { } throttle)
        {
            AddIfManaged(fields, Disk(EveryDevice, "read_bytes_sec"), throttle.ReadBytesPerSec);
            AddIfManaged(fields, Disk(EveryDevice, "write_bytes_sec"), throttle.WriteBytesPerSec);
            AddIfManaged(fields, Disk(EveryDevice, "total_iops_sec"), throttle.TotalIopsPerSec);
            fields.Add(new(Disk(EveryDevice, "group_name"), DiskThrottle.GroupName));
        }

        if (t.InterfaceBandwidth is { } bandwidth)
        {
            if (bandwidth.InboundAverageKBytesPerSec is { } inbound)
            {
                fields.Add(new(Interface(EveryDevice, "inbound"), KBytesPerSec(inbound)));
            }

            if (bandwidth.OutboundAverageKBytesPerSec is { } outbound)
            {
                fields.Add(new(Interface(EveryDevice, "outbound"), KBytesPerSec(outbound)));
            }
        }

        return fields;
    }

    /// <summary>
    /// Each vCPU's scheduling class, as <see cref="OwnedValues.Scheduler"/> prints it: the first
    /// <c>&lt;vcpusched&gt;</c> naming the vCPU (libvirt refuses overlapping ones), else <c>other</c>.
    /// </summary>
    public static string[] SchedulerPerVcpu(IReadOnlyList<VcpuScheduler> schedulers, int vcpus)
    {
        var perVcpu = new string[Math.Max(0, vcpus)];
        for (int i = 0; i < perVcpu.Length; i++)
        {
            VcpuScheduler? match = schedulers.FirstOrDefault(s => s.Vcpus.Contains(i));
            perVcpu[i] = match is null ? OwnedValues.Scheduler(Specs.SchedulerClass.Other, 0) : OwnedValues.Scheduler(match.Class, match.Priority);
        }

        return perVcpu;
    }

    private static void AddIfManaged(List<OwnedField> fields, string field, long? value)
    {
        if (value is { } v)
        {
            fields.Add(new(field, OwnedValues.Number(v)));
        }
    }
}
