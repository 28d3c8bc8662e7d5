using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;

namespace KvmConfig.Cli.Infrastructure;

/// <summary>The failures the commands themselves report (the libraries keep theirs), rendered by <c>FailureRenderer</c>.</summary>
internal static class CliErrors
{
    /// <summary>An output file named by <paramref name="option"/> cannot be written.</summary>
    public static KvmConfigException CannotWriteReport(string file, string option, Exception inner) =>
        new(Rules.Unreadable, $"cannot write the report {Path.GetFullPath(file)}: {inner.Message}", file,
            $"give {option} a file in a directory that exists and that you may write to");

    /// <summary><c>tco --compare</c> names a scenario no <c>[cost NAME]</c> section of <paramref name="directory"/> declares.</summary>
    public static KvmConfigException UnknownCostScenario(string name, IEnumerable<string> known, string directory)
    {
        string[] names = [.. known.Order(StringComparer.Ordinal)];
        string? near = Suggest.Closest(name, names);
        return new(Rules.UnknownCostScenario, $"--compare names cost scenario '{name}', but {directory} has no [cost {name}] section", directory,
            names.Length == 0
                ? "declare scenarios as [cost NAME] sections, e.g. [cost kvm] with licence_per_node = 0; each takes [cost]'s values and overrides some"
                : $"{(near is null ? "" : $"did you mean '{near}'? ")}the scenarios are {string.Join(", ", names)}");
    }

    /// <summary><c>capacity --mix</c> names a profile that is neither built in nor a <c>[profile NAME]</c> of <paramref name="directory"/>.</summary>
    public static KvmConfigException UnknownMixProfile(string profile, IEnumerable<string> known, string directory)
    {
        string[] names = [.. known.Order(StringComparer.Ordinal)];
        string? near = Suggest.Closest(profile, names);
        return new(Rules.UnknownProfile, $"--mix names profile '{profile}', which is neither built in nor a [profile] of {directory}", directory,
            $"{(near is null ? "" : $"did you mean '{near}'? ")}the profiles are {string.Join(", ", names)}; or declare [profile {profile}]");
    }

    /// <summary><c>capacity --ha N</c> with N at least the <c>--nodes</c> given: no node would be left.</summary>
    public static KvmConfigException HaLeavesNoNode(int ha, int nodes) =>
        new(Rules.HaTooLarge, $"--ha {ha} asks to survive losing {ha} of {nodes} nodes: none would be left", null,
            $"give --ha {nodes - 1} or less, or more --nodes");

    /// <summary>A cluster command on a directory without <c>[node NAME]</c> sections.</summary>
    public static KvmConfigException NoInventory(string directory) =>
        new(Rules.NoInventory, $"{directory} has no [node NAME] sections: a cluster command needs the cluster's nodes", directory,
            "add a [node NAME] section with uri = (or sysroot = / capabilities =) for each host; for one host, use plan, apply and status");
}
