using KvmConfig.Config;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Topology;
using KvmConfig.Linux;
using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// How the host rules interact: what one finding suppresses, which pool a CPU counts in, where a value that
/// came from a profile is reported. Each case runs the real check on a captured machine.
/// </summary>
public sealed class CheckRulesTests
{
    private static readonly Lazy<HostTopology> Desktop = new(() => Captures.Host("desktop-1s-20cpu"));
    private static readonly Lazy<HostTopology> Xeon = new(() => Captures.Host("xeon-2s-4numa-snc-80cpu"));

    private static CheckReport Check(HostTopology host, params (string Name, string Text)[] files)
    {
        using var dir = new ConfigDir(files);
        return DeclarationCheck.Run(dir.Dir, host);
    }

    private static string[] Codes(CheckReport report) => report.Diagnostics.Where(d => d.Severity != Severity.Info).Select(d => d.Code).ToArray();

    [Fact]
    public void A_cpu_list_naming_an_absent_cpu_gets_one_finding_not_a_cascade()
    {
        // cpus = 1-4,90 on a 20-CPU host: CPU 90 is absent. Counting its 5 CPUs against vcpus = 4 would add an
        // "idle CPU" warning about a CPU that does not exist.
        CheckReport report = Check(Desktop.Value, ("10-db.conf", "vcpus = 4\ncpus = 1-4,90\nmemory = 4G\n"));

        Assert.Equal(["KVC022"], Codes(report));
    }

    [Fact]
    public void Sibling_threads_of_an_isolated_vm_leave_the_shared_pool()
    {
        // Given a 20-CPU desktop (siblings n and n+10): reserved 0,10 leaves 18 CPUs. An smt=isolate VM on CPUs
        // 1-4 owns cores 1-4, so their siblings 11-14 are idle: 10 CPUs remain for the shared pool.
        (string, string)[] files =
        [
            ("00-cpu.conf", "overcommit = 1:1\n"),
            ("10-db.conf", "vcpus = 4\ncpus = 1-4\nsmt = isolate\nmemory = 4G\n"),
            ("20-web.conf", "vcpus = 10\ncpuspinlock = none\nmemory = 2G\n"),
        ];

        Assert.DoesNotContain("KVC033", Codes(Check(Desktop.Value, files)));

        // When the shared VM wants one more vCPU than those 10 CPUs
        files[2] = ("20-web.conf", "vcpus = 11\ncpuspinlock = none\nmemory = 2G\n");
        Diagnostic overcommit = Assert.Single(Check(Desktop.Value, files).Diagnostics, d => d.Code == "KVC033");

        // Then the pool counted is 10, not the 14 that ignoring the idle siblings would give
        Assert.Contains("the pool has 10 CPUs", overcommit.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_finding_about_a_profile_value_also_points_at_the_vm_that_uses_it()
    {
        // Given a profile in one file asking for 30 vCPUs, more than a third of 80, used by a VM in another file
        CheckReport report = Check(Xeon.Value,
            ("10-profiles.conf", "[profile huge]\nvcpus = 30\nmemory = 8G\n"),
            ("20-db.conf", "profile = huge\ncpuspinlock = none\n"));

        Diagnostic share = Assert.Single(report.Diagnostics, d => d.Code == "KVC021");

        // Then the caret is on the profile's value, and a note names the VM's 'profile =' line
        Assert.EndsWith("10-profiles.conf", share.Span!.File, StringComparison.Ordinal);
        DiagnosticNote note = Assert.Single(share.Notes!, n => n.Message.Contains("from profile 'huge'", StringComparison.Ordinal));
        Assert.EndsWith("20-db.conf", note.Span!.File, StringComparison.Ordinal);
    }

    [Fact]
    public void Memory_reserved_as_huge_pages_is_not_ordinary_memory()
    {
        // Node 0 of the Xeon has 45.8G, 5G of it in 2560 2M pages. 42G of ordinary memory fitted before the pool
        // was counted; it does not fit beside the pool.
        CheckReport report = Check(Xeon.Value,
            ("00-cpu.conf", "memory_reserved = 0M\n"),
            ("20-db.conf", "vcpus = 4\ncpus = 1-2,41-42\nmemory = 42G\n"));

        Diagnostic node = Assert.Single(report.Diagnostics, d => d.Code == "KVC031");
        Assert.Contains("minus 5G of huge pages", node.Message, StringComparison.Ordinal);

        // A VM backed by those pages is checked against the pool instead, and 4G fits in 5G
        CheckReport backed = Check(Xeon.Value,
            ("00-cpu.conf", "memory_reserved = 0M\n"),
            ("20-db.conf", "vcpus = 4\ncpus = 1-2,41-42\nmemory = 4G\nhugepages = 2M\n"));
        Assert.Empty(Codes(backed));
    }

    [Fact]
    public void A_governor_typo_gets_a_did_you_mean_from_the_governors_the_host_offers()
    {
        CheckReport report = Check(Desktop.Value, ("00-cpu.conf", "cpufreq = performnce\n"));

        Diagnostic d = Assert.Single(report.Diagnostics, d => d.Code == "KVC034");
        Assert.StartsWith("did you mean 'performance'?", d.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_shared_pool_over_isolated_cpus_is_a_warning_and_leaving_them_out_fixes_it()
    {
        HostTopology host = new SysfsTopologyReader(TestData.SysfsRoot("2s-8numa-112cpu")).Read();
        (string, string) web = ("30-web.conf", "vcpus = 2\ncpuspinlock = none\nmemory = 2G\n");

        // The default cpuset (all online CPUs but reserved) includes the isolated 4-7,60-63
        Diagnostic d = Assert.Single(Check(host, web).Diagnostics, d => d.Code == "KVC046");
        Assert.Contains("isolated CPUs 4-7,60-63", d.Message, StringComparison.Ordinal);
        Assert.Equal(Severity.Warning, d.Severity);

        // The hint's cpuset, without them, is clean
        CheckReport fixedReport = Check(host, ("00-cpu.conf", "cpuset = 1-3,8-55,57-59,64-111\n"), web);
        Assert.DoesNotContain(fixedReport.Diagnostics, d => d.Code == "KVC046");
    }

    [Fact]
    public void A_policy_inherited_from_host_is_pointed_at_in_the_host_file()
    {
        CheckReport report = Check(Desktop.Value,
            ("00-cpu.conf", "cpuspinlock = none\n"),
            ("30-web.conf", "vcpus = 2\ncpus = 4-5\nmemory = 2G\n"));

        Diagnostic d = Assert.Single(report.Diagnostics, d => d.Code == "KVC045");
        DiagnosticNote note = Assert.Single(d.Notes!);
        Assert.EndsWith("00-cpu.conf", note.Span!.File, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refused_host_value_is_reported_once_and_never_judged_as_if_the_default_had_been_written()
    {
        // overcommit = 1:8 is out of range; judging the shared pool with the default 1:1 would invent an error
        CheckReport report = Check(Desktop.Value,
            ("00-cpu.conf", "overcommit = 1:8\nmax_vm_share = 1.5\n"),
            ("30-web.conf", "vcpus = 18\ncpuspinlock = none\nmemory = 2G\n"),
            ("31-ci.conf", "vcpus = 18\ncpuspinlock = none\nmemory = 2G\n"));

        Assert.Equal(["KVC012", "KVC012"], Codes(report));
    }

    [Fact]
    public void A_float_set_with_one_isolated_cpu_is_warned_about()
    {
        HostTopology host = new SysfsTopologyReader(TestData.SysfsRoot("2s-8numa-112cpu")).Read();

        CheckReport report = Check(host, ("20-db.conf", "vcpus = 4\ncpus = 1-4\ncpuspinlock = float\nmemory = 4G\nnuma_nodes = 0-1\n"));

        Diagnostic d = Assert.Single(report.Diagnostics, d => d.Code == "KVC046");
        Assert.Contains("of which the kernel isolates 4", d.Message, StringComparison.Ordinal);
    }
}
