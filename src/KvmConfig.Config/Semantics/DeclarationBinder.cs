using KvmConfig.Config.Syntax;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;

namespace KvmConfig.Config.Semantics;

/// <summary>
/// Phase two: parsed documents into a validated <see cref="Declaration"/>. Resolves aliases, drop-in overrides
/// of <c>[host]</c>, profiles and defaults, and parses every value. Knows nothing of the host: rules that need
/// the machine (CPU exists, NUMA fit, governors) live in Core's <c>DeclarationRules</c>.
/// </summary>
/// <remarks>
/// A VM key's value comes from, in order: the VM's own section, its profile (user <c>[profile]</c> keys over
/// the built-in ones), the <c>[host]</c> default for inheritable keys, the built-in default.
/// </remarks>
public sealed partial class DeclarationBinder
{
    private readonly List<Diagnostic> _diagnostics = [];

    private DeclarationBinder()
    {
    }

    /// <summary>Binds <paramref name="documents"/>: the declaration (VMs whose vCPU count cannot be known are left out, with a diagnostic) and the diagnostics.</summary>
    public static (Declaration Declaration, IReadOnlyList<Diagnostic> Diagnostics) Bind(IReadOnlyList<ConfigDocument> documents)
    {
        var binder = new DeclarationBinder();
        Declaration declaration = binder.Run(documents);
        return (declaration, binder._diagnostics);
    }

    private Declaration Run(IReadOnlyList<ConfigDocument> documents)
    {
        List<ConfigSection> sections = documents.SelectMany(d => d.Sections).Where(s => !IsMisnamedDropIn(s)).ToList();
        foreach (ConfigSection section in sections)
        {
            CheckKeys(section);
        }

        RawSection host = Merge(sections.Where(s => s.Kind == SectionKind.Host), "[host]", reportOverrides: true);
        RawSection cost = Merge(sections.Where(s => s is { Kind: SectionKind.Cost, Name: null }), "[cost]", reportOverrides: true);
        RawSection alerts = Merge(sections.Where(s => s.Kind == SectionKind.Alerts), "[alerts]", reportOverrides: true);
        Dictionary<string, RawSection> profiles = BuildProfiles(sections);

        HostPolicy policy = BindHost(host);
        var vms = new List<VmSpec>();
        var seen = new Dictionary<string, ConfigSection>(StringComparer.Ordinal);
        foreach (ConfigSection section in sections.Where(s => s.Kind == SectionKind.Vm))
        {
            if (seen.TryGetValue(section.Name!, out ConfigSection? first))
            {
                _diagnostics.Add(Diagnostic.Create(Rules.DuplicateVm,
                    $"VM '{section.Name}' is declared twice",
                    section.HeaderSpan,
                    $"keep one declaration of {section.Name}; kvmconfig uses the first and ignores this one",
                    [new DiagnosticNote($"first declared here", first.HeaderSpan)]));

                // Its values are still judged, so that deleting the first declaration reveals no new errors.
                new ValueReader(this, Merge([section], section.Title, reportOverrides: false), null).ValidateAll();
                continue;
            }

            seen[section.Name!] = section;
            RawSection raw = Merge([section], section.Title, reportOverrides: false);
            if (BindVm(section, raw, policy, profiles) is { } vm)
            {
                vms.Add(vm);
            }
        }

        var profileSpecs = profiles.ToDictionary(
            p => p.Key,
            p => new ProfileSpec(p.Key, p.Value.Values.ToDictionary(v => v.Key, v => v.Value.Text), p.Value.Origins),
            StringComparer.Ordinal);
        return new Declaration(policy, vms, profileSpecs, BindCost(cost, null, null))
        {
            CostScenarios = BindCostScenarios(sections, cost),
            Alerts = BindAlerts(alerts),
            Nodes = BindNodes(sections, host, policy),
        };
    }

    // ---- keys -------------------------------------------------------------------------------------

    // 50-local.conf holding only [host] keys, one of them host-only (overcommit = 1:3), is an override of the host
    // policy whose name, by the implied header rule, makes it [vm local]. Said once, instead of an unknown-key error
    // per line and a VM with no vCPUs. The same for 50-alerts.conf holding only [alerts] keys.
    // 50-kvm1.conf holding only uri = ... is a [node kvm1] written without its header. [host] comes before [node]: keys
    // that both take are the host policy's.
    private static readonly SectionKind[] HeaderOnlyKinds = [SectionKind.Host, SectionKind.Alerts, SectionKind.Node];

    private bool IsMisnamedDropIn(ConfigSection section)
    {
        if (!section.Implied || section.Kind != SectionKind.Vm || section.Entries.Count == 0
            || section.Entries.All(e => KeyCatalog.Find(e.Key)?.Sections.Contains(SectionKind.Vm) == true))
        {
            return false;
        }

        SectionKind[] meant = HeaderOnlyKinds
            .Where(k => section.Entries.All(e => KeyCatalog.Find(e.Key)?.Sections.Contains(k) == true))
            .ToArray();
        if (meant.Length == 0)
        {
            return false;
        }

        SectionKind kind = meant[0];
        string file = Path.GetFileName(section.HeaderSpan.File);
        string header = kind == SectionKind.Node ? $"[node {section.Name}]" : $"[{kind.ToString().ToLowerInvariant()}]";
        _diagnostics.Add(Diagnostic.Create(Rules.NoSection,
            $"'{file}' has no header, so its name makes it [vm {section.Name}], but its keys ({string.Join(", ", section.Entries.Select(e => e.Key).Distinct())}) belong in {header}",
            section.HeaderSpan,
            kind == SectionKind.Host
                ? $"add [host] as its first line, or rename it to {file[..(file.IndexOf('-') + 1)]}host.conf"
                : $"add {header} as its first line"));
        return true;
    }

    private void CheckKeys(ConfigSection section)
    {
        var firstSeen = new Dictionary<string, ConfigEntry>(StringComparer.Ordinal);
        foreach (ConfigEntry entry in section.Entries)
        {
            KeyDefinition? key = KeyCatalog.Find(entry.Key);
            if (key is null || !key.Sections.Contains(section.Kind))
            {
                _diagnostics.Add(Diagnostic.Create(Rules.UnknownKey,
                    $"unknown key '{entry.Key}' in {section.Title}",
                    entry.KeySpan,
                    UnknownKeyHint(entry.Key, key, section.Kind)));
                continue;
            }

            if (firstSeen.TryGetValue(key.Name, out ConfigEntry? earlier))
            {
                _diagnostics.Add(Diagnostic.Create(Rules.DuplicateKey,
                    $"'{key.Name}' is set twice in {section.Title}; '{entry.Value}' replaces '{earlier.Value}'",
                    entry.KeySpan,
                    "delete one of the two lines",
                    [new DiagnosticNote("first set here", earlier.KeySpan)]));
            }

            firstSeen[key.Name] = entry;
        }
    }

    private static string UnknownKeyHint(string key, KeyDefinition? elsewhere, SectionKind kind)
    {
        string section = kind.ToString().ToLowerInvariant();
        if (elsewhere is not null)
        {
            // [node] takes every [host] key; the hint names [host], the usual home, and [node] only for node-only keys.
            IEnumerable<SectionKind> homes = elsewhere.Sections.Any(s => s != SectionKind.Node)
                ? elsewhere.Sections.Where(s => s != SectionKind.Node)
                : elsewhere.Sections;
            string where = string.Join(" or ", homes.Select(s => $"[{s.ToString().ToLowerInvariant()}]"));
            return $"'{elsewhere.Name}' belongs in {where}, not in [{section}]";
        }

        string? near = Suggest.Closest(key, KeyCatalog.SpellingsFor(kind));
        return near is not null
            ? $"did you mean '{near}'?"
            : $"see docs/configuration.md for the keys of [{section}]";
    }

    // One value as written: its text and where (null for built-in profile values).
    private sealed record RawValue(string Text, SourceSpan? Span, SourceSpan? KeySpan);

    // The effective keys of a section (canonical names), after later lines and later files override.
    private sealed record RawSection(SourceSpan? Header, IReadOnlyDictionary<string, RawValue> Values)
    {
        public Origins Origins => new(Header, Values.Where(v => v.Value.Span is not null).ToDictionary(v => v.Key, v => v.Value.Span!));
    }

    private RawSection Merge(IEnumerable<ConfigSection> sections, string title, bool reportOverrides)
    {
        var values = new Dictionary<string, RawValue>(StringComparer.Ordinal);
        var setIn = new Dictionary<string, ConfigSection>(StringComparer.Ordinal);
        SourceSpan? header = null;
        foreach (ConfigSection section in sections)
        {
            header ??= section.HeaderSpan;
            foreach (ConfigEntry entry in section.Entries)
            {
                KeyDefinition? key = KeyCatalog.Find(entry.Key);
                if (key is null || !key.Sections.Contains(section.Kind))
                {
                    continue;
                }

                // Within one section a repeated key is KVC013 (CheckKeys); across sections, even of one file, it is an override.
                if (reportOverrides && values.TryGetValue(key.Name, out RawValue? earlier) && !ReferenceEquals(setIn[key.Name], section))
                {
                    _diagnostics.Add(Diagnostic.Create(Rules.HostOverride,
                        $"{title} {key.Name} = {entry.Value} overrides {earlier.Text} from {Path.GetFileName(earlier.Span!.File)}",
                        entry.KeySpan,
                        "drop-in files are read in lexical order; the last one wins",
                        [new DiagnosticNote("overridden value", earlier.Span)]));
                }

                values[key.Name] = new RawValue(entry.Value, entry.ValueSpan, entry.KeySpan);
                setIn[key.Name] = section;
            }
        }

        return new RawSection(header, values);
    }

    private Dictionary<string, RawSection> BuildProfiles(List<ConfigSection> sections)
    {
        var profiles = BuiltInProfiles.All.ToDictionary(
            p => p.Key,
            p => new RawSection(null, p.Value.ToDictionary(v => v.Key, v => new RawValue(v.Value, null, null))),
            StringComparer.Ordinal);

        foreach (IGrouping<string, ConfigSection> group in sections.Where(s => s.Kind == SectionKind.Profile).GroupBy(s => s.Name!))
        {
            RawSection user = Merge(group, $"[profile {group.Key}]", reportOverrides: true);
            var values = profiles.TryGetValue(group.Key, out RawSection? builtIn)
                ? new Dictionary<string, RawValue>(builtIn.Values)
                : new Dictionary<string, RawValue>(StringComparer.Ordinal);
            foreach ((string key, RawValue value) in user.Values)
            {
                values[key] = value;
            }

            profiles[group.Key] = new RawSection(user.Header, values);

            // A profile is checked where it is written, even when no VM uses it.
            var probe = new ValueReader(this, profiles[group.Key], null);
            probe.ValidateAll();
        }

        return profiles;
    }

    // ---- [host] -----------------------------------------------------------------------------------

    private HostPolicy BindHost(RawSection host)
    {
        var r = new ValueReader(this, host, null);
        var d = new HostPolicy();

        // cpufreq = vtlb is overclock protection, not a governor: the governor is kept, the cap is the base frequency
        // unless cpufreq_max names another, and what the rules say of that cap points at the vtlb line.
        string governor = r.Get("cpufreq", KeyValues.Governor, d.CpuFreq)!;
        FrequencyCap? cap = r.Get("cpufreq_max", KeyValues.CpuFreqMax, d.CpuFreqMax);
        if (governor == KeyValues.OverclockProtection && cap is null && !r.Failed("cpufreq_max"))
        {
            cap = FrequencyCap.Base;
            r.Remember("cpufreq_max", host.Values["cpufreq"].Span);
        }

        return new HostPolicy
        {
            CpuSet = r.Get("cpuset", KeyValues.CpuSet, d.CpuSet),
            Reserved = r.Get("reserved", KeyValues.Reserved, d.Reserved),
            Pinning = r.Get("cpuspinlock", KeyValues.Pinning, d.Pinning),
            Scheduling = r.Get("cpuscheduling", KeyValues.Scheduling, d.Scheduling)!,
            Overcommit = r.Get("overcommit", KeyValues.Overcommit, d.Overcommit)!,
            MaxVmShare = r.Get("max_vm_share", KeyValues.MaxVmShare, d.MaxVmShare)!,
            Smt = r.Get("smt", KeyValues.Smt, d.Smt),
            Emulator = r.Get("emulator", KeyValues.Emulator, d.Emulator),
            Numa = r.Get("numa", KeyValues.Numa, d.Numa),
            HugePages = r.Get("hugepages", KeyValues.HugePages, d.HugePages),
            MemoryReservedMiB = r.Get("memory_reserved", KeyValues.MemoryReserved, d.MemoryReservedMiB),
            CpuFreq = governor == KeyValues.OverclockProtection ? "keep" : governor,
            CpuFreqMax = cap,
        } with
        {
            Origins = r.Origins,
        };
    }

    // ---- [vm NAME] --------------------------------------------------------------------------------

    // The [vm] keys whose default is the [host] value.
    private static readonly string[] HostInherited = ["cpuspinlock", "cpuscheduling", "smt", "emulator", "numa", "hugepages"];

    private VmSpec? BindVm(ConfigSection section, RawSection own, HostPolicy host, Dictionary<string, RawSection> profiles)
    {
        var r = new ValueReader(this, own, null);
        string? profileName = r.Get("profile", KeyValues.ProfileName, null);
        RawSection? profile = null;
        if (profileName is not null && !profiles.TryGetValue(profileName, out profile))
        {
            string? near = Suggest.Closest(profileName, profiles.Keys);
            _diagnostics.Add(Diagnostic.Create(Rules.UnknownProfile,
                $"VM '{section.Name}' uses profile '{profileName}', which is neither built in nor declared",
                own.Values["profile"].Span,
                near is not null
                    ? $"did you mean '{near}'? Profiles: {string.Join(", ", profiles.Keys.Order())}"
                    : $"declare [profile {profileName}] or use one of: {string.Join(", ", profiles.Keys.Order())}"));
        }

        bool badProfile = r.Failed("profile");
        r = new ValueReader(this, own, profile is null ? null : (profileName!, profile));
        r.Remember("profile", own.Values.GetValueOrDefault("profile")?.Span);

        // Every value is read before anything is decided, so one bad value never hides another.
        CpuSet? cpus = r.Get("cpus", KeyValues.Cpus, null);
        PinningMode pinning = r.Get("cpuspinlock", KeyValues.Pinning, host.Pinning);
        bool fromCpus = cpus is not null && pinning == PinningMode.Strict && !own.Values.ContainsKey("vcpus");
        int? vcpus = fromCpus ? null : r.Get("vcpus", KeyValues.Vcpus, null);
        var spec = new VmSpec
        {
            Name = section.Name!,
            Vcpus = 0,
            VcpusMax = r.Get("vcpus_max", KeyValues.VcpusMax, null),
            Cpus = cpus,
            Pinning = pinning,
            Scheduling = r.Get("cpuscheduling", KeyValues.Scheduling, host.Scheduling)!,
            Smt = r.Get("smt", KeyValues.Smt, host.Smt),
            Emulator = r.Get("emulator", KeyValues.Emulator, host.Emulator),
            Numa = r.Get("numa", KeyValues.Numa, host.Numa),
            HugePages = r.Get("hugepages", KeyValues.HugePages, host.HugePages),
            CpuWeight = r.Get("cpu_weight", KeyValues.CpuWeight, 100),
            CpuLimit = r.Get("cpu_limit", KeyValues.CpuLimit, null),
            MemoryMiB = r.Get("memory", KeyValues.Memory, null),
            NumaNodes = r.Get("numa_nodes", KeyValues.NumaNodes, null),
            DiskWeight = r.Get("disk_weight", KeyValues.DiskWeight, null),
            DiskReadBytesPerSec = r.Get("disk_read_bps", KeyValues.DiskReadBps, null),
            DiskWriteBytesPerSec = r.Get("disk_write_bps", KeyValues.DiskWriteBps, null),
            DiskIops = r.Get("disk_iops", KeyValues.DiskIops, null),
            NetBandwidthBitsPerSec = r.Get("net_bandwidth", KeyValues.NetBandwidth, null),
            Profile = profile is null ? null : profileName,
            Group = r.Get("group", KeyValues.Group, null),
            GroupSpread = r.Get("group_spread", KeyValues.Spread, GroupSpread.Node),
            Host = r.Get("host", KeyValues.HostName, null),
        };

        // Policies the VM takes from [host] point at the [host] line that set them.
        foreach (string key in HostInherited)
        {
            if (!own.Values.ContainsKey(key) && profile?.Values.ContainsKey(key) != true && host.Origins.Declared(key))
            {
                r.Remember(key, host.Origins.Of(key));
            }
        }

        // Strict pinning takes vcpus from cpus before the profile; floating pinning after it: a VM given a set of its
        // own and nothing else gets one vCPU per CPU of the set either way.
        if (vcpus is null && cpus is not null && (pinning == PinningMode.Strict || (pinning == PinningMode.Float && !r.Failed("vcpus"))))
        {
            vcpus = cpus.Count;
            _diagnostics.Add(Diagnostic.Create(Rules.Defaulted,
                $"VM '{section.Name}' gets vcpus = {cpus.Count}, one per CPU of cpus = {cpus}",
                own.Values["cpus"].Span,
                pinning == PinningMode.Strict
                    ? "strict pinning maps vCPU i to the i-th CPU of the list"
                    : "floating pinning lets every vCPU run on any CPU of the list; give vcpus = N for fewer"));
        }

        if (vcpus is null)
        {
            // A vcpus that failed to parse, or a profile that does not exist, is already reported: do not pile on.
            // So is a malformed cpus that strict pinning would have taken vcpus from.
            bool unknownProfile = (profileName is not null && profile is null) || badProfile;
            bool badStrictCpus = r.Failed("cpus") && pinning == PinningMode.Strict;
            if (!r.Failed("vcpus") && !unknownProfile && !badStrictCpus)
            {
                _diagnostics.Add(Diagnostic.Create(Rules.MissingKey,
                    $"VM '{section.Name}' has no vcpus, and none can be derived",
                    section.HeaderSpan,
                    "add vcpus = N, or cpus = LIST (one vCPU per CPU), or profile = database|web|monitoring"));
            }

            return null;
        }

        return spec with { Vcpus = vcpus.Value, Origins = r.Origins };
    }

    // ---- [alerts] ---------------------------------------------------------------------------------

    // The reader's origins, not the raw section's: they mark refused values (Origins.Invalid), so that KVC048 never
    // judges a pair one of whose values was already reported.
    private AlertThresholds BindAlerts(RawSection alerts)
    {
        var r = new ValueReader(this, alerts, null);
        AlertThresholds d = AlertThresholds.Default;
        return new AlertThresholds
        {
            ReadyWarningPercent = r.Get("ready_warning", KeyValues.ReadyWarning, d.ReadyWarningPercent),
            ReadyCriticalPercent = r.Get("ready_critical", KeyValues.ReadyCritical, d.ReadyCriticalPercent),
            DiskQueueDepthRequests = r.Get("disk_queue_depth", KeyValues.DiskQueueDepth, d.DiskQueueDepthRequests),
            TcpRetransmitPercent = r.Get("tcp_retransmit", KeyValues.TcpRetransmit, d.TcpRetransmitPercent),
            ReclaimEfficiencyPercent = r.Get("reclaim_efficiency", KeyValues.ReclaimEfficiency, d.ReclaimEfficiencyPercent),
            MemoryOverheadPercent = r.Get("memory_overhead", KeyValues.MemoryOverhead, d.MemoryOverheadPercent),
            CpuPressurePercent = r.Get("cpu_pressure", KeyValues.CpuPressure, d.CpuPressurePercent),
            HoldFor = r.Get("for", KeyValues.HoldFor, d.HoldFor),
            ClearMarginPercent = r.Get("clear_margin", KeyValues.ClearMargin, d.ClearMarginPercent),
        } with
        {
            Origins = r.Origins,
        };
    }
}
