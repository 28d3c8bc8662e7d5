using KvmConfig.Examples;
using KvmConfig.TestSupport;

namespace KvmConfig.UseCases.Tests;

/// <summary>docs/library.md's example: the text printed there is the code compiled here, and it runs.</summary>
public sealed class LibraryExampleTests : IDisposable
{
    private readonly UseCaseFixture _f = new();

    [Fact]
    public void The_page_prints_the_example_that_is_compiled()
    {
        string page = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "docs", "library.md"));
        string code = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "docs", "library", "Example.cs"));
        const string open = "```csharp\n";
        int start = page.IndexOf(open, StringComparison.Ordinal) + open.Length;
        int end = page.IndexOf("```\n", start, StringComparison.Ordinal);

        Assert.True(start >= open.Length && end > start, "docs/library.md has no ```csharp block");
        Assert.Equal(code, page[start..end]);
    }

    [Fact]
    public void The_example_runs_every_use_case_against_the_real_daemon()
    {
        string before = _f.Fingerprint();

        string summary = LibraryExample.Run(_f.Config.Dir, _f.Connection.Uri, _f.Options, _f.History);

        Assert.Equal($"Applied 1, in sync True, Restored 1, {UseCaseFixture.Sweeps} sweeps", summary);
        Assert.Equal(before, _f.Fingerprint());
    }

    public void Dispose() => _f.Dispose();
}
