using System.ComponentModel;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Config;
using KvmConfig.Core;
using KvmConfig.Core.Topology;
using KvmConfig.Monitoring.Forecasts;
using KvmConfig.Monitoring.History;
using Spectre.Console;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Cost;

/// <summary>The options of <c>kvmconfig capacity</c>.</summary>
internal sealed class CapacitySettings : ClusterSettings
{
    [CommandOption("--mix <MIX>")]
    [Description("The VMs: PROFILE=COUNT,... with built-in profiles (database, web, monitoring) or [[profile NAME]] sections of the directory.")]
    public string? Mix { get; init; }

    [CommandOption("--shape <SHAPE>")]
    [Description("Nodes of this shape: SOCKETSxNODESxCORESxTHREADS,MEMORY, e.g. 2x2x16x2,512G.")]
    public string? Shape { get; init; }

    [CommandOption("--sysroot <DIR>")]
    [Description("Nodes like the machine captured in DIR (DIR/sys).")]
    public string? SysRoot { get; init; }

    [CommandOption("--node-like <NODE>")]
    [Description("Nodes like this [[node]] of the inventory (its shape and policy). Default: the first node, or this host.")]
    public string? NodeLike { get; init; }

    [CommandOption("--ha <N>")]
    [Description("Survive losing N nodes.")]
    [DefaultValue(0)]
    public int Ha { get; init; }

    [CommandOption("--nodes <N>")]
    [Description("Instead of counting nodes: how many more VMs of each kind N nodes take beside the mix.")]
    public int? Nodes { get; init; }

    [CommandOption("--from-history")]
    [Description("Instead of a mix: when the VMs of this host, growing as serve's history shows, will need another node: their CPU use and their memory together forecast against the CPUs and memory the node gives VMs, with a 95 % interval (see docs/capacity.md, Forecasts).")]
    public bool FromHistory { get; init; }

    [CommandOption("--history <FILE>")]
    [Description("With --from-history: the history serve writes (default " + HistoryStore.DefaultPath + "); read only. Give it once per node (each host's own file, copied here) to ask for the cluster: the nodes' VMs are added up against all their CPUs and memory. NODE=FILE counts the file against that [[node]] of the inventory (its own shape and policy); a plain FILE against the node named by --shape, --sysroot or --node-like.")]
    public string[]? History { get; init; }

    [CommandOption("--horizon <DURATION>")]
    [Description("With --from-history: how far to look ahead, 1h to 365d (default 14d).")]
    public string? Horizon { get; init; }

    public override ValidationResult Validate() =>
        FromHistory ? ValidateFromHistory()
        : History is { Length: > 0 } || Horizon is not null ? ValidationResult.Error("--history and --horizon are for --from-history: add --from-history")
        : OptionValue.IsMissing(Mix) ? ValidationResult.Error("--mix is needed: PROFILE=COUNT,..., e.g. --mix database=40,web=100,monitoring=20")
        : CapacityMix.TryParse(Mix!, out string? mixError) is null ? ValidationResult.Error($"--mix {Mix}: {mixError}")
        : new[] { Shape, SysRoot, NodeLike }.Count(o => o is not null) > 1 ? ValidationResult.Error("--shape, --sysroot and --node-like each name the node: give one of them")
        : Shape is not null && MachineShapes.TryParse(Shape, out string? shapeError) is null ? ValidationResult.Error($"--shape {Shape}: {shapeError}")
        : Ha < 0 ? ValidationResult.Error($"--ha {Ha}: give how many nodes to survive losing, 0 or more")
        : Nodes is < 1 ? ValidationResult.Error($"--nodes {Nodes}: give a number of nodes, 1 or more")
        : base.Validate();

    /// <summary>The horizon of --from-history.</summary>
    public TimeSpan HorizonValue => Horizon is { } h ? Durations.Parse(h)!.Value : HistoryForecast.DefaultHorizon;

    private ValidationResult ValidateFromHistory() =>
        Mix is not null || Nodes is not null || Ha != 0 ? ValidationResult.Error("--from-history answers from the measured load: leave out --mix, --nodes and --ha")
        : History?.FirstOrDefault(OptionValue.IsMissing) is not null ? ValidationResult.Error("--history needs a value, e.g. --history /var/lib/kvmconfig/history.db")
        : new[] { Shape, SysRoot, NodeLike }.Count(o => o is not null) > 1 ? ValidationResult.Error("--shape, --sysroot and --node-like each name the node: give one of them")
        : Shape is not null && MachineShapes.TryParse(Shape, out string? shapeError) is null ? ValidationResult.Error($"--shape {Shape}: {shapeError}")
        : Horizon is not null && Durations.Check("--horizon", Horizon, TimeSpan.FromHours(1), TimeSpan.FromDays(365), "14d") is { } bad ? ValidationResult.Error(bad)
        : base.Validate();
}
