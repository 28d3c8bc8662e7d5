using System.Diagnostics;
using KvmConfig.Core.Apply;

namespace KvmConfig.Core.Tests;

/// <summary>
/// <see cref="UnifiedDiff"/> prints what <c>diff -u</c> prints: the same hunks, and a changed line's old version before
/// its new one. Compared with GNU diff itself on inputs with one alignment.
/// </summary>
public sealed class UnifiedDiffTests
{
    private const string Domain = "<domain type='kvm'>\n  <name>db1</name>\n  <memory unit='KiB'>2097152</memory>\n  <vcpu placement='static'>2</vcpu>\n"
        + "  <cputune>\n    <shares>100</shares>\n    <vcpupin vcpu='0' cpuset='2'/>\n    <vcpupin vcpu='1' cpuset='3'/>\n  </cputune>\n"
        + "  <os>\n    <type arch='x86_64'>hvm</type>\n  </os>\n  <on_poweroff>destroy</on_poweroff>\n</domain>\n";

    public static TheoryData<string, string, string> Cases => new()
    {
        { "one value changed", Domain, Domain.Replace("<shares>100</shares>", "<shares>200</shares>", StringComparison.Ordinal) },
        { "two adjacent lines changed", Domain, Domain.Replace("cpuset='2'", "cpuset='4'", StringComparison.Ordinal).Replace("cpuset='3'", "cpuset='5'", StringComparison.Ordinal) },
        { "an element added", Domain, Domain.Replace("  </cputune>\n", "    <emulatorpin cpuset='0'/>\n  </cputune>\n", StringComparison.Ordinal) },
        { "an element removed", Domain, Domain.Replace("    <shares>100</shares>\n", "", StringComparison.Ordinal) },
        { "changes far apart make two hunks", Domain, Domain.Replace("2097152", "4194304", StringComparison.Ordinal).Replace("destroy", "restart", StringComparison.Ordinal) },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Hunks_are_the_ones_diff_u_prints(string what, string before, string after)
    {
        string ours = UnifiedDiff.Of(before, after, "a", "b");

        Assert.True(Body(ours) == Body(GnuDiff(before, after)), $"{what}:\n{ours}\n--- diff -u:\n{GnuDiff(before, after)}");
    }

    [Fact]
    public void A_changed_line_prints_its_old_version_first()
    {
        string diff = UnifiedDiff.Of(Domain, Domain.Replace("<shares>100</shares>", "<shares>200</shares>", StringComparison.Ordinal), "a", "b");

        int removed = diff.IndexOf("-    <shares>100</shares>", StringComparison.Ordinal);
        int added = diff.IndexOf("+    <shares>200</shares>", StringComparison.Ordinal);
        Assert.True(removed >= 0 && added > removed, diff);
    }

    [Fact]
    public void Equal_texts_have_no_diff() => Assert.Equal("", UnifiedDiff.Of(Domain, Domain, "a", "b"));

    // The hunks without the two header lines (diff -u puts file times there).
    private static string Body(string diff) => string.Join('\n', diff.Split('\n').Skip(2));

    private static string GnuDiff(string before, string after)
    {
        string dir = Directory.CreateTempSubdirectory("kvmconfig-diff-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "a"), before);
            File.WriteAllText(Path.Combine(dir, "b"), after);
            using var diff = Process.Start(new ProcessStartInfo("diff", ["-u", "a", "b"]) { WorkingDirectory = dir, RedirectStandardOutput = true })!;
            string output = diff.StandardOutput.ReadToEnd();
            diff.WaitForExit();
            Assert.Equal(1, diff.ExitCode);
            return output;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
