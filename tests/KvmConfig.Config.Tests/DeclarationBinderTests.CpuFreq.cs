using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;

namespace KvmConfig.Config.Tests;

// cpufreq and cpufreq_max: governor names, and the white paper's cpufreq = vtlb (overclock protection), which binds as
// cpufreq = keep with cpufreq_max = base.
public sealed partial class DeclarationBinderTests
{
    /// <summary>Rows: description, the directory, the host key, its bound value.</summary>
    public static TheoryData<string, string, string, string> OverclockProtection => new()
    {
        { "a cap at the base frequency", "--- 00-cpu.conf\ncpufreq_max = base", "cpufreq_max", "base" },
        { "the white paper's cpufreq = vtlb is overclock protection: the governor is kept", "--- 00-cpu.conf\ncpufreq = vtlb", "cpufreq", "keep" },
        { "the white paper's cpufreq = vtlb is overclock protection: a cap at the base frequency", "--- 00-cpu.conf\ncpufreq = vtlb", "cpufreq_max", "base" },
        { "vtlb is a word like the others: VTLB", "--- 00-cpu.conf\ncpufreq = VTLB", "cpufreq_max", "base" },
        { "next to vtlb, a written cpufreq_max is the cap in force", "--- 00-cpu.conf\ncpufreq = vtlb\ncpufreq_max = 3.0GHz", "cpufreq_max", "3000000kHz" },
    };

    [Theory]
    [MemberData(nameof(OverclockProtection))]
    public void Overclock_protection_binds_as_keep_with_a_cap_at_base(string description, string directory, string key, string expected)
    {
        (Declaration declaration, IReadOnlyList<Diagnostic> diagnostics) = ConfigText.Bind(directory);

        Assert.Empty(diagnostics);
        Expect.Equal(description, expected, ConfigText.Value(declaration.Host, key));
    }

    [Fact]
    public void Cpufreq_vtlb_binds_without_diagnostics_and_its_cap_points_at_the_vtlb_line()
    {
        // Given the white paper's 00-cpu.conf, whose cpufreq line is the third
        (Declaration declaration, IReadOnlyList<Diagnostic> diagnostics) = ConfigText.Bind("--- 00-cpu.conf\ncpuset = 1-7\nreserved = 0\ncpufreq = vtlb");

        // Then nothing is refused, and what the rules say about the cap points at 'vtlb'
        Assert.Empty(diagnostics);
        Assert.True(declaration.Host.CpuFreqMax!.AtBase);
        SourceSpan at = declaration.Host.Origins.Of("cpufreq_max")!;
        Assert.Equal((3, 11), (at.Line, at.Column));
    }

    [Fact]
    public void Governor_names_are_case_insensitive_like_every_other_word()
    {
        (Declaration declaration, IReadOnlyList<Diagnostic> diagnostics) = ConfigText.Bind("--- 00-cpu.conf\ncpufreq = Performance");

        Assert.Empty(diagnostics);
        Assert.Equal("performance", declaration.Host.CpuFreq);
    }
}
