using System.Globalization;
using System.Text;
using KvmConfig.Config.Semantics;
using KvmConfig.Config.Syntax;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;

namespace KvmConfig.Config;

/// <summary>One kind of VM in a capacity mix: a profile and how many VMs of it.</summary>
/// <param name="Profile">The profile's name (<c>database</c>, or a <c>[profile NAME]</c> of the directory).</param>
/// <param name="Count">How many VMs of it.</param>
public sealed record MixEntry(string Profile, int Count);

/// <summary>
/// <c>capacity --mix database=40,web=100,monitoring=20</c>: VMs made from profiles exactly as a <c>[vm]</c> section
/// naming the profile would make them (the directory's <c>[host]</c> defaults, its <c>[profile]</c> sections and the
/// built-in ones), instead of the VMs the directory declares.
/// </summary>
public static class CapacityMix
{
    /// <summary>The most VMs a mix may ask for in all.</summary>
    public const int MostVms = 1_000_000;

    /// <summary>The mix <paramref name="text"/> names, or null with what is wrong in <paramref name="error"/>.</summary>
    public static IReadOnlyList<MixEntry>? TryParse(string text, out string? error)
    {
        error = null;
        var entries = new List<MixEntry>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            string[] pair = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (pair.Length != 2 || pair[0].Length == 0)
            {
                error = $"'{part}' is not PROFILE=COUNT (e.g. database=40)";
                return null;
            }

            if (!int.TryParse(pair[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count))
            {
                error = $"{pair[0]}={pair[1]}: the count must be a whole number of VMs, 0 or more";
                return null;
            }

            if (entries.Any(e => e.Profile == pair[0]))
            {
                error = $"{pair[0]} is named twice in the mix";
                return null;
            }

            entries.Add(new MixEntry(pair[0], count));
        }

        if (entries.Sum(e => (long)e.Count) is var total && total > MostVms)
        {
            error = $"the mix asks for {total} VMs; at most {MostVms}";
            return null;
        }

        return entries;
    }

    /// <summary>
    /// The declaration of <paramref name="source"/> with the mix's VMs (named <c>PROFILE-N</c>) instead of its own,
    /// one VM of each profile as the model of its kind, and the findings of binding them; null with the first profile
    /// of the mix the directory does not know (built in or <c>[profile NAME]</c>) in <paramref name="unknownProfile"/>.
    /// </summary>
    public static (Declaration Declaration, IReadOnlyDictionary<string, VmSpec> Kinds, IReadOnlyList<Diagnostic> Findings)? Build(ConfigSource source, IReadOnlyList<MixEntry> mix, out string? unknownProfile)
    {
        (Declaration declared, _) = DeclarationBinder.Bind(source.Documents);
        unknownProfile = mix.FirstOrDefault(e => !declared.Profiles.ContainsKey(e.Profile))?.Profile;
        if (unknownProfile is not null)
        {
            return null;
        }

        // Each kind gets one VM more than asked, its model: what "the largest VM of each kind" grows from.
        var text = new StringBuilder();
        foreach (MixEntry entry in mix)
        {
            for (int i = 0; i <= entry.Count; i++)
            {
                text.Append(CultureInfo.InvariantCulture, $"[vm {Name(entry.Profile, i)}]\nprofile = {entry.Profile}\n");
            }
        }

        var findings = new List<Diagnostic>();
        ConfigDocument vms = ConfigParser.Parse("--mix", text.ToString(), findings);
        List<ConfigDocument> documents = [.. source.Documents.Select(WithoutVms), vms];
        (Declaration bound, IReadOnlyList<Diagnostic> binding) = DeclarationBinder.Bind(documents);
        findings.AddRange(binding);
        Dictionary<string, VmSpec> kinds = mix.ToDictionary(e => e.Profile, e => bound.Vms.Single(v => v.Name == Name(e.Profile, 0)), StringComparer.Ordinal);
        return (bound with { Vms = [.. bound.Vms.Where(v => !v.Name.EndsWith("-0", StringComparison.Ordinal))], Nodes = [] }, kinds, findings);
    }

    private static string Name(string profile, int i) => $"{profile}-{i}";

    private static ConfigDocument WithoutVms(ConfigDocument document) =>
        document with { Sections = [.. document.Sections.Where(s => s.Kind != SectionKind.Vm)] };
}
