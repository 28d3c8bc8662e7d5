using KvmConfig.Core;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Cli.Rendering;

/// <summary>What one host CPU does in a plan, as the CPU map and the SVG draw it.</summary>
internal enum CpuRole
{
    /// <summary>Runs vCPUs of one dedicated VM (<c>strict</c> or <c>float</c>).</summary>
    Vm,

    /// <summary>Runs the emulator threads of one <c>emulator = isolate</c> VM, and nothing else.</summary>
    Emulator,

    /// <summary>A sibling thread a dedicated VM keeps idle (<c>smt = isolate</c> or <c>require</c>).</summary>
    Idle,

    /// <summary>Kept for the host (and emulator threads under <c>emulator = reserved</c>).</summary>
    Reserved,

    /// <summary>Part of the pool <c>cpuspinlock = none</c> VMs float over.</summary>
    Shared,

    /// <summary>In the cpuset, used by nobody.</summary>
    Free,

    /// <summary>Online but outside the cpuset: VMs may not use it, and it is not reserved either.</summary>
    Outside,
}

/// <summary>The role of a CPU, and for the VM roles the index of its VM in <see cref="CpuRoles.Dedicated"/>.</summary>
internal readonly record struct CpuUse(CpuRole Role, int Vm = -1);

/// <summary>
/// Who uses each online CPU of a plan, and the short key and colour of every dedicated VM. Keys and colours follow
/// declaration order, so the table, the CPU map and the SVG agree and the same declaration always draws the same.
/// </summary>
internal sealed class CpuRoles
{
    /// <summary>
    /// Colours of dedicated VMs, in VM order, repeating after the last: Tableau 10, chosen to stay apart from each
    /// other and readable under black text.
    /// </summary>
    public static readonly IReadOnlyList<string> Palette =
        ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#8cd17d"];

    /// <summary>
    /// Colours of shared-pool VMs, in VM order: the light tints of Tableau 20, so that a VM that shares CPUs never
    /// looks like one that owns them. After the tenth, the same tints come back striped (see
    /// <see cref="SharedVariant"/>), so that 30 shared VMs still differ.
    /// </summary>
    public static readonly IReadOnlyList<string> SharedPalette =
        ["#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5", "#c7c7c7"];

    /// <summary>The text map's mark of each role other than <see cref="CpuRole.Vm"/> (which shows the VM's key), and its meaning.</summary>
    public static readonly IReadOnlyList<(CpuRole Role, string Mark, string Meaning)> Marks =
    [
        (CpuRole.Reserved, "r", "reserved"),
        (CpuRole.Shared, "~", "shared pool"),
        (CpuRole.Idle, "i", "idle sibling"),
        (CpuRole.Emulator, "e", "emulator (emulator = isolate)"),
        (CpuRole.Free, ".", "free"),
        (CpuRole.Outside, "-", "outside the cpuset"),
    ];

    private readonly Dictionary<int, CpuUse> _uses = [];

    public CpuRoles(Core.Planning.Plan plan, HostTopology host)
    {
        Dedicated = plan.Vms.Where(v => v.Spec.IsDedicated).ToList();
        Shared = plan.Vms.Where(v => !v.Spec.IsDedicated).ToList();

        // Precedence, when sets overlap: a VM's own CPUs, then the host's, then what a VM holds without running
        // on it (emulator CPU, idle sibling), then the pools. An idle sibling that is reserved stays reserved.
        for (int i = 0; i < Dedicated.Count; i++)
        {
            Claim(Dedicated[i].Cpus, new CpuUse(CpuRole.Vm, i));
        }

        Claim(plan.Reserved, new CpuUse(CpuRole.Reserved));
        for (int i = 0; i < Dedicated.Count; i++)
        {
            if (Dedicated[i].Spec.Emulator == EmulatorPlacement.Isolate)
            {
                Claim(Dedicated[i].EmulatorCpus, new CpuUse(CpuRole.Emulator, i));
            }
        }

        for (int i = 0; i < Dedicated.Count; i++)
        {
            Claim(Dedicated[i].IdleSiblings, new CpuUse(CpuRole.Idle, i));
        }

        Claim(plan.SharedPool, new CpuUse(CpuRole.Shared));
        Claim(plan.Free, new CpuUse(CpuRole.Free));
        Claim(host.Online, new CpuUse(CpuRole.Outside));
        Stranded = CpuSet.Of(plan.Fragmentation.SelectMany(f => f.StrandedCpus));
    }

    /// <summary>VMs with CPUs of their own, in declaration order: the index of a <see cref="CpuUse"/>.</summary>
    public IReadOnlyList<VmPlacement> Dedicated { get; }

    /// <summary>VMs of the shared pool, in declaration order.</summary>
    public IReadOnlyList<VmPlacement> Shared { get; }

    /// <summary>
    /// The CPUs the fragmentation table calls stranded: free (or shared-pool) threads of a core whose sibling is
    /// taken, or every free CPU of a node with fewer free CPUs than the typical VM needs.
    /// </summary>
    public CpuSet Stranded { get; }

    /// <summary>The use of online CPU <paramref name="cpu"/>.</summary>
    public CpuUse Of(int cpu) => _uses.TryGetValue(cpu, out CpuUse use) ? use : new CpuUse(CpuRole.Outside);

    /// <summary>The roles present among the online CPUs.</summary>
    public IReadOnlySet<CpuRole> Present => _uses.Values.Select(u => u.Role).ToHashSet();

    /// <summary>
    /// The map key of dedicated VM <paramref name="index"/>: A..Z, then AA, AB, ... (upper case only, so that the
    /// lower-case marks of the map never read as a VM).
    /// </summary>
    public static string Key(int index) =>
        index < 26 ? ((char)('A' + index)).ToString() : $"{(char)('A' + (index / 26) - 1)}{(char)('A' + (index % 26))}";

    /// <summary>The colour of dedicated VM <paramref name="index"/>.</summary>
    public static string Colour(int index) => Palette[index % Palette.Count];

    /// <summary>The tint of shared-pool VM <paramref name="index"/> (in <see cref="Shared"/>).</summary>
    public static string SharedColour(int index) => SharedPalette[index % SharedPalette.Count];

    /// <summary>
    /// How shared-pool VM <paramref name="index"/> is told apart once the tints repeat: 0 plain, 1 striped at 45
    /// degrees, 2 striped at -45 degrees (the 11th to 20th VM, then the 21st to 30th).
    /// </summary>
    public static int SharedVariant(int index) => index / SharedPalette.Count % 3;

    /// <summary>What the text map prints under <paramref name="use"/>'s CPU: the VM's key, or the role's mark.</summary>
    public static string Mark(CpuUse use) =>
        use.Role == CpuRole.Vm ? Key(use.Vm) : Marks.First(m => m.Role == use.Role).Mark;

    private void Claim(CpuSet cpus, CpuUse use)
    {
        foreach (int cpu in cpus)
        {
            _uses.TryAdd(cpu, use);
        }
    }
}
