using KvmConfig.Config.Semantics;
using KvmConfig.TestSupport;

namespace KvmConfig.Config.Tests;

/// <summary>docs/configuration.md is the reference administrators read: every key the parser accepts is in it.</summary>
public sealed class ConfigurationDocsTests
{
    public static TheoryData<string> Spellings =>
        new(KeyCatalog.All.SelectMany(k => k.Aliases.Prepend(k.Name)));

    [Theory]
    [MemberData(nameof(Spellings))]
    public void Every_key_and_alias_is_documented(string key)
    {
        string doc = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "docs", "configuration.md"));

        Assert.Contains($"`{key}`", doc, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_built_in_profile_is_documented_with_its_values()
    {
        string doc = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "docs", "configuration.md"));

        foreach ((string name, IReadOnlyDictionary<string, string> values) in BuiltInProfiles.All)
        {
            string row = doc.Split('\n').Single(l => l.StartsWith($"| `{name}` |", StringComparison.Ordinal));
            foreach (string value in values.Values)
            {
                Assert.Contains($" {value} ", row, StringComparison.Ordinal);
            }
        }
    }
}
