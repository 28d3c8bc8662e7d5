using System.Runtime.InteropServices;
using KvmConfig.Core;
using KvmConfig.Libvirt.Interop;
using Native = KvmConfig.Libvirt.Interop.Libvirt;

namespace KvmConfig.Libvirt;

/// <summary>A domain's state (<c>virDomainState</c>).</summary>
public enum DomainState
{
    /// <summary>No state.</summary>
    NoState = 0,

    /// <summary>Running.</summary>
    Running = 1,

    /// <summary>Blocked on a resource.</summary>
    Blocked = 2,

    /// <summary>Paused by the user.</summary>
    Paused = 3,

    /// <summary>Being shut down.</summary>
    Shutdown = 4,

    /// <summary>Shut off.</summary>
    Shutoff = 5,

    /// <summary>Crashed.</summary>
    Crashed = 6,

    /// <summary>Suspended by guest power management.</summary>
    PmSuspended = 7,
}

/// <summary>Which definition a change or a read applies to (<c>virDomainModificationImpact</c>).</summary>
[Flags]
public enum DomainImpact : uint
{
    /// <summary>The running domain when it runs, else the persistent definition.</summary>
    Current = 0,

    /// <summary>The running domain only: lost at the next boot.</summary>
    Live = 1,

    /// <summary>The persistent definition only: takes effect at the next boot.</summary>
    Config = 2,
}

/// <summary>
/// A reference to one libvirt domain. Every call goes straight to the C API; a failure throws
/// <see cref="LibvirtException"/> naming the domain and the function.
/// </summary>
public sealed class LibvirtDomain : IDisposable
{
    private readonly LibvirtConnection _connection;
    private readonly SafeDomainHandle _handle;

    internal LibvirtDomain(LibvirtConnection connection, SafeDomainHandle handle)
    {
        _connection = connection;
        _handle = handle;
        Name = Marshal.PtrToStringUTF8(Native.DomainGetName(handle)) ?? throw Failure("virDomainGetName");
    }

    /// <summary>The domain's name.</summary>
    public string Name { get; }

    /// <summary>The native pointer, kept valid until <see cref="Release"/> (for calls that take arrays of domains).</summary>
    internal IntPtr AddRef()
    {
        bool added = false;
        _handle.DangerousAddRef(ref added);
        return _handle.DangerousGetHandle();
    }

    /// <summary>Ends an <see cref="AddRef"/>.</summary>
    internal void Release() => _handle.DangerousRelease();

    /// <summary>The current state.</summary>
    public DomainState State
    {
        get
        {
            Check(Native.DomainGetState(_handle, out int state, out _, 0), "virDomainGetState");
            return (DomainState)state;
        }
    }

    /// <summary>True while QEMU runs for it (running, paused, blocked...): live changes apply then.</summary>
    public bool IsActive => State is not (DomainState.Shutoff or DomainState.Crashed or DomainState.NoState);

    /// <summary>True when the domain has a persistent definition (a transient one vanishes when it stops).</summary>
    public bool IsPersistent
    {
        get
        {
            int result = Native.DomainIsPersistent(_handle);
            return result < 0 ? throw Failure("virDomainIsPersistent") : result == 1;
        }
    }

    /// <summary>The domain XML: the persistent definition with <paramref name="inactive"/>, else the live one when it
    /// runs.</summary>
    public string Xml(bool inactive = false) =>
        Native.TakeString(Native.DomainGetXmlDesc(_handle, inactive ? Native.XmlInactive : 0)) ?? throw Failure("virDomainGetXMLDesc");

    /// <summary>Starts the defined domain (<c>virsh start</c>).</summary>
    public void Start() => Check(Native.DomainCreate(_handle), "virDomainCreate");

    /// <summary>Stops the domain at once (<c>virsh destroy</c>: the guest gets no shutdown request).</summary>
    public void Destroy() => Check(Native.DomainDestroy(_handle), "virDomainDestroy");

    /// <summary>Removes the persistent definition (a running domain becomes transient).</summary>
    public void Undefine() => Check(Native.DomainUndefine(_handle), "virDomainUndefine");

    /// <summary>The guest's memory size in KiB (<c>virDomainGetMaxMemory</c>: <c>&lt;memory&gt;</c>).</summary>
    public long MemoryKiB
    {
        get
        {
            ulong kib = Native.DomainGetMaxMemory(_handle);
            return kib == 0 ? throw Failure("virDomainGetMaxMemory") : (long)kib;
        }
    }

    /// <summary>The number of vCPUs in the running domain (<see cref="DomainImpact.Live"/>) or the definition.</summary>
    public int VcpuCount(DomainImpact impact)
    {
        int count = Native.DomainGetVcpusFlags(_handle, (uint)impact);
        return count < 0 ? throw Failure("virDomainGetVcpusFlags") : count;
    }

    /// <summary>The most vCPUs the domain may have online (<c>virsh vcpucount --maximum</c>): its <c>&lt;vcpu&gt;</c> count.</summary>
    public int MaxVcpuCount(DomainImpact impact)
    {
        const uint maximum = 4; // VIR_DOMAIN_VCPU_MAXIMUM
        int count = Native.DomainGetVcpusFlags(_handle, (uint)impact | maximum);
        return count < 0 ? throw Failure("virDomainGetVcpusFlags") : count;
    }

    /// <summary>Sets how many vCPUs are online (<c>virsh setvcpus</c>): live, a hot add or unplug in the running guest.</summary>
    public void SetVcpuCount(int count, DomainImpact impact) =>
        Check(Native.DomainSetVcpusFlags(_handle, (uint)count, (uint)impact), "virDomainSetVcpusFlags");

    /// <summary>Each vCPU's affinity, in vCPU order (<c>virsh vcpupin</c> without arguments).</summary>
    public unsafe IReadOnlyList<CpuSet> VcpuPins(DomainImpact impact)
    {
        int vcpus = VcpuCount(impact);
        int width = _connection.HostCpuCount();
        int maplen = MapLength(width);
        var maps = new byte[vcpus * maplen];
        int described;
        fixed (byte* p = maps)
        {
            described = Native.DomainGetVcpuPinInfo(_handle, vcpus, p, maplen, (uint)impact);
        }

        if (described < 0)
        {
            throw Failure("virDomainGetVcpuPinInfo");
        }

        return Enumerable.Range(0, Math.Min(described, vcpus)).Select(v => FromMap(maps.AsSpan(v * maplen, maplen), width)).ToList();
    }

    /// <summary>Pins vCPU <paramref name="vcpu"/> to <paramref name="cpus"/> (<c>virsh vcpupin</c>).</summary>
    public unsafe void PinVcpu(int vcpu, CpuSet cpus, DomainImpact impact)
    {
        byte[] map = ToMap(cpus, _connection.HostCpuCount());
        fixed (byte* p = map)
        {
            Check(Native.DomainPinVcpuFlags(_handle, (uint)vcpu, p, map.Length, (uint)impact), "virDomainPinVcpuFlags", $"vCPU {vcpu} to {cpus}");
        }
    }

    /// <summary>The emulator threads' affinity (<c>virsh emulatorpin</c>).</summary>
    public unsafe CpuSet EmulatorPin(DomainImpact impact)
    {
        int width = _connection.HostCpuCount();
        var map = new byte[MapLength(width)];
        fixed (byte* p = map)
        {
            Check(Native.DomainGetEmulatorPinInfo(_handle, p, map.Length, (uint)impact), "virDomainGetEmulatorPinInfo");
        }

        return FromMap(map, width);
    }

    /// <summary>Pins the emulator threads to <paramref name="cpus"/>.</summary>
    public unsafe void PinEmulator(CpuSet cpus, DomainImpact impact)
    {
        byte[] map = ToMap(cpus, _connection.HostCpuCount());
        fixed (byte* p = map)
        {
            Check(Native.DomainPinEmulator(_handle, p, map.Length, (uint)impact), "virDomainPinEmulator", $"emulator to {cpus}");
        }
    }

    /// <summary>The scheduler's name (<c>posix</c> for QEMU) and its parameters: <c>cpu_shares</c>,
    /// <c>vcpu_period</c>, <c>vcpu_quota</c>, <c>global_period</c>, <c>global_quota</c>, ... (<c>virsh schedinfo</c>).</summary>
    public unsafe (string Scheduler, IReadOnlyList<TypedParameter> Parameters) SchedulerParameters(DomainImpact impact)
    {
        string scheduler = Native.TakeString(Native.DomainGetSchedulerType(_handle, out int count)) ?? throw Failure("virDomainGetSchedulerType");
        List<TypedParameter>? parameters = impact == DomainImpact.Current
            ? TypedParameters.Get((Native.TypedParameter* p, ref int n) => Native.DomainGetSchedulerParameters(_handle, p, ref n), count)
            : TypedParameters.Get((Native.TypedParameter* p, ref int n) => Native.DomainGetSchedulerParametersFlags(_handle, p, ref n, (uint)impact), count);
        return (scheduler, parameters ?? throw Failure(impact == DomainImpact.Current ? "virDomainGetSchedulerParameters" : "virDomainGetSchedulerParametersFlags"));
    }

    /// <summary>Sets scheduler parameters (<c>virsh schedinfo --set</c>).</summary>
    public unsafe void SetSchedulerParameters(IReadOnlyList<TypedParameter> parameters, DomainImpact impact) =>
        Check(TypedParameters.Set(parameters, (p, n) => Native.DomainSetSchedulerParametersFlags(_handle, (Native.TypedParameter*)p, n, (uint)impact)),
            "virDomainSetSchedulerParametersFlags", string.Join(", ", parameters));

    /// <summary>NUMA memory parameters: <c>numa_mode</c> (0 strict, 1 preferred, 2 interleave, 3 restrictive) and
    /// <c>numa_nodeset</c> (<c>virsh numatune</c>).</summary>
    public unsafe IReadOnlyList<TypedParameter> NumaParameters(DomainImpact impact) =>
        TypedParameters.Get((Native.TypedParameter* p, ref int n) => Native.DomainGetNumaParameters(_handle, p, ref n, (uint)impact))
        ?? throw Failure("virDomainGetNumaParameters");

    /// <summary>Sets NUMA memory parameters. On a running domain only the nodeset may change, and only in a mode
    /// where QEMU's memory can follow (libvirt refuses the rest with VIR_ERR_OPERATION_INVALID).</summary>
    public unsafe void SetNumaParameters(IReadOnlyList<TypedParameter> parameters, DomainImpact impact) =>
        Check(TypedParameters.Set(parameters, (p, n) => Native.DomainSetNumaParameters(_handle, (Native.TypedParameter*)p, n, (uint)impact)),
            "virDomainSetNumaParameters", string.Join(", ", parameters));

    /// <summary>Block I/O parameters: <c>weight</c>, <c>device_read_bytes_sec</c>, ... (<c>virsh blkiotune</c>).</summary>
    public unsafe IReadOnlyList<TypedParameter> BlkioParameters(DomainImpact impact) =>
        TypedParameters.Get((Native.TypedParameter* p, ref int n) => Native.DomainGetBlkioParameters(_handle, p, ref n, (uint)impact))
        ?? throw Failure("virDomainGetBlkioParameters");

    /// <summary>Sets block I/O parameters.</summary>
    public unsafe void SetBlkioParameters(IReadOnlyList<TypedParameter> parameters, DomainImpact impact) =>
        Check(TypedParameters.Set(parameters, (p, n) => Native.DomainSetBlkioParameters(_handle, (Native.TypedParameter*)p, n, (uint)impact)),
            "virDomainSetBlkioParameters", string.Join(", ", parameters));

    /// <summary>Memory parameters: <c>hard_limit</c>, <c>soft_limit</c>, <c>swap_hard_limit</c>, <c>min_guarantee</c>
    /// (KiB) (<c>virsh memtune</c>).</summary>
    public unsafe IReadOnlyList<TypedParameter> MemoryParameters(DomainImpact impact) =>
        TypedParameters.Get((Native.TypedParameter* p, ref int n) => Native.DomainGetMemoryParameters(_handle, p, ref n, (uint)impact))
        ?? throw Failure("virDomainGetMemoryParameters");

    /// <summary>Sets memory parameters.</summary>
    public unsafe void SetMemoryParameters(IReadOnlyList<TypedParameter> parameters, DomainImpact impact) =>
        Check(TypedParameters.Set(parameters, (p, n) => Native.DomainSetMemoryParameters(_handle, (Native.TypedParameter*)p, n, (uint)impact)),
            "virDomainSetMemoryParameters", string.Join(", ", parameters));

    /// <summary>An interface's bandwidth parameters: <c>inbound.average</c>, <c>outbound.average</c>, ... (KB/s)
    /// (<c>virsh domiftune</c>); <paramref name="device"/> is the target name (vnet0) or the MAC address.</summary>
    public unsafe IReadOnlyList<TypedParameter> InterfaceParameters(string device, DomainImpact impact) =>
        TypedParameters.Get((Native.TypedParameter* p, ref int n) => Native.DomainGetInterfaceParameters(_handle, device, p, ref n, (uint)impact))
        ?? throw Failure("virDomainGetInterfaceParameters", device);

    /// <summary>Sets an interface's bandwidth parameters.</summary>
    public unsafe void SetInterfaceParameters(string device, IReadOnlyList<TypedParameter> parameters, DomainImpact impact) =>
        Check(TypedParameters.Set(parameters, (p, n) => Native.DomainSetInterfaceParameters(_handle, device, (Native.TypedParameter*)p, n, (uint)impact)),
            "virDomainSetInterfaceParameters", $"{device}: {string.Join(", ", parameters)}");

    /// <summary>A disk's throttles: <c>read_bytes_sec</c>, <c>total_iops_sec</c>, <c>group_name</c>, ... (0 is no
    /// limit) (<c>virsh blkdeviotune</c>); <paramref name="disk"/> is the target name (vda) or the source path.</summary>
    public unsafe IReadOnlyList<TypedParameter> BlockIoTune(string disk, DomainImpact impact) =>
        TypedParameters.Get((Native.TypedParameter* p, ref int n) => Native.DomainGetBlockIoTune(_handle, disk, p, ref n, (uint)impact))
        ?? throw Failure("virDomainGetBlockIoTune", disk);

    /// <summary>Sets a disk's throttles; the ones not named keep their value.</summary>
    public unsafe void SetBlockIoTune(string disk, IReadOnlyList<TypedParameter> parameters, DomainImpact impact) =>
        Check(TypedParameters.Set(parameters, (p, n) => Native.DomainSetBlockIoTune(_handle, disk, (Native.TypedParameter*)p, n, (uint)impact)),
            "virDomainSetBlockIoTune", $"{disk}: {string.Join(", ", parameters)}");

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();

    // VIR_CPU_MAPLEN: one bit per host CPU, CPU n in byte n / 8, bit n % 8.
    private static int MapLength(int cpus) => (cpus + 7) / 8;

    private static byte[] ToMap(CpuSet cpus, int width)
    {
        if (cpus.Last >= width)
        {
            throw new ArgumentException($"CPU {cpus.Last} is beyond the host's {width} CPUs");
        }

        var map = new byte[MapLength(width)];
        foreach (int cpu in cpus)
        {
            map[cpu / 8] |= (byte)(1 << (cpu % 8));
        }

        return map;
    }

    private static CpuSet FromMap(ReadOnlySpan<byte> map, int width)
    {
        var builder = new CpuSet.Builder();
        for (int cpu = 0; cpu < width; cpu++)
        {
            if ((map[cpu / 8] & (1 << (cpu % 8))) != 0)
            {
                builder.Add(cpu);
            }
        }

        return builder.ToCpuSet();
    }

    private LibvirtException Failure(string operation, string? detail = null) =>
        LibvirtException.FromLastError(operation, detail is null ? Name : $"{Name}: {detail}");

    private void Check(int result, string operation, string? detail = null)
    {
        if (result < 0)
        {
            throw Failure(operation, detail);
        }
    }
}
