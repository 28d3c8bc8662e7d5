using KvmConfig.Config.Syntax;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;

namespace KvmConfig.Config.Semantics;

// [node NAME]: the cluster inventory. A node is declared once, like a VM; its policy is [host] with the node's own
// [host] keys on top. What the nodes say together (URIs, racks, the VMs' host and group) is judged by Core's
// ClusterRules, once the whole declaration is bound.
public sealed partial class DeclarationBinder
{
    // The keys only a [node] takes; every other key of a [node] is a [host] key.
    private static readonly string[] NodeOnlyKeys = ["uri", "rack", "sysroot", "capabilities"];

    private List<NodeSpec> BindNodes(List<ConfigSection> sections, RawSection host, HostPolicy policy)
    {
        var nodes = new List<NodeSpec>();
        var seen = new Dictionary<string, ConfigSection>(StringComparer.Ordinal);
        foreach (ConfigSection section in sections.Where(s => s.Kind == SectionKind.Node))
        {
            RawSection own = Merge([section], section.Title, reportOverrides: false);
            if (seen.TryGetValue(section.Name!, out ConfigSection? first))
            {
                _diagnostics.Add(Diagnostic.Create(Rules.DuplicateNode,
                    $"node '{section.Name}' is declared twice",
                    section.HeaderSpan,
                    $"keep one [node {section.Name}]; kvmconfig uses the first and ignores this one",
                    [new DiagnosticNote("first declared here", first.HeaderSpan)]));

                // As for a second VM: its values are judged, so that deleting the first declaration reveals nothing new.
                new ValueReader(this, own, null).ValidateAll();
                continue;
            }

            seen[section.Name!] = section;
            nodes.Add(BindNode(section, own, host, policy));
        }

        return nodes;
    }

    private NodeSpec BindNode(ConfigSection section, RawSection own, RawSection host, HostPolicy hostPolicy)
    {
        var r = new ValueReader(this, own, null);
        var node = new NodeSpec
        {
            Name = section.Name!,
            Uri = r.Get("uri", KeyValues.Uri, null),
            Rack = r.Get("rack", KeyValues.Rack, null),
            Sysroot = Absolute(r.Get("sysroot", KeyValues.Sysroot, null), own, "sysroot"),
            Capabilities = Absolute(r.Get("capabilities", KeyValues.Capabilities, null), own, "capabilities"),
            Policy = NodePolicy(own, host, hostPolicy),
        };
        return node with { Origins = r.Origins };
    }

    // The node's policy is bound exactly as [host] is, from [host]'s values with the node's written over them, so the
    // same values give the same messages. [host]'s own values were judged where they are written: a value refused
    // there is left out (the default stands in, as it does for [host]) and stays marked refused, so that no rule
    // judges the default in its place.
    private HostPolicy NodePolicy(RawSection own, RawSection host, HostPolicy hostPolicy)
    {
        var values = new Dictionary<string, RawValue>(StringComparer.Ordinal);
        foreach ((string key, RawValue value) in host.Values.Where(v => !hostPolicy.Origins.Invalid(v.Key)))
        {
            values[key] = value;
        }

        foreach ((string key, RawValue value) in own.Values.Where(v => !NodeOnlyKeys.Contains(v.Key)))
        {
            values[key] = value;
        }

        HostPolicy policy = BindHost(new RawSection(own.Header, values));
        var refused = new HashSet<string>(policy.Origins.Refused ?? new HashSet<string>(), StringComparer.Ordinal);
        refused.UnionWith((hostPolicy.Origins.Refused ?? new HashSet<string>()).Where(k => !own.Values.ContainsKey(k)));
        return policy with { Origins = policy.Origins with { Refused = refused } };
    }

    // sysroot = captures/kvm1 in /etc/kvmconfig.d/40-nodes.conf is /etc/kvmconfig.d/captures/kvm1: a relative path is
    // relative to the configuration directory (the directory of the file that says it), and kept absolute, so that
    // whoever reads it later does not depend on the working directory. An absolute path is kept as written.
    private static string? Absolute(string? path, RawSection own, string key)
    {
        if (path is null)
        {
            return null;
        }

        string directory = Path.GetDirectoryName(own.Values[key].Span!.File) ?? ".";
        return Path.GetFullPath(Path.Combine(directory, path));
    }
}
