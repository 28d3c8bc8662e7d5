using System.Text.Json;
using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>kvmconfig capacity</c>: node counts known by construction (a mix that exactly fills N nodes), more VMs on N
/// nodes, the capture of a real machine, and the bad input the issue names.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class CapacityCommandTests : IDisposable
{
    // Nodes of 1 socket x 1 NUMA node x 8 cores x 1 thread (CPU 0 reserved: 7 usable), and a profile of 7 vCPUs that
    // fills one such node alone, and one of 3 that fits twice beside nothing else.
    private readonly ConfigDir _dir = new(
        ("00-cpu.conf", "[host]\nmax_vm_share = 1/1\nreserved = 0\n"),
        ("10-profiles.conf", "[profile whole]\nvcpus = 7\nmemory = 4G\n\n[profile third]\nvcpus = 3\nmemory = 1G\n"));

    private CliResult Run(params string[] args) => CliRunner.Run(["capacity", .. args, "--config-dir", _dir.Dir]);

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(12)]
    public void A_mix_that_fills_n_nodes_exactly_needs_n(int n)
    {
        CliResult r = Run("--mix", $"whole={n}", "--shape", "1x1x8x1,64G", "--format", "json");

        Assert.True(r.Exit == 0, r.Out + r.Err);
        JsonElement root = JsonDocument.Parse(r.Out).RootElement;
        Assert.Equal(n, root.GetProperty("nodes").GetInt32());
        Assert.Equal(n, root.GetProperty("lowerBound").GetInt32());
        Assert.Equal(7 * n, root.GetProperty("cpusUsed").GetInt64());
        Assert.Equal("cpus", root.GetProperty("binding").GetString());
    }

    [Fact]
    public void Placement_not_division_seven_vms_of_3_vcpus_need_4_nodes_of_7_where_division_says_3()
    {
        // 7 x 3 vCPUs = 21 CPUs, and 21 / 7 is 3 nodes; but only two VMs of 3 fit a node of 7 (the 7th CPU is left),
        // so seven VMs need 4 nodes
        CliResult r = Run("--mix", "third=7", "--shape", "1x1x8x1,64G", "--format", "json");

        Assert.True(r.Exit == 0, r.Out + r.Err);
        Assert.Equal(4, JsonDocument.Parse(r.Out).RootElement.GetProperty("nodes").GetInt32());
    }

    [Fact]
    public void Nodes_n_says_how_many_more_of_each_kind_fit_one_kind_at_a_time()
    {
        // 3 nodes of 7 usable CPUs holding one whole-node VM: two nodes left, each taking two of 3 vCPUs
        CliResult r = Run("--mix", "whole=1,third=0", "--shape", "1x1x8x1,64G", "--nodes", "3", "--format", "json");

        Assert.True(r.Exit == 0, r.Out + r.Err);
        JsonElement more = JsonDocument.Parse(r.Out).RootElement.GetProperty("more");
        Assert.Equal(2, more.GetProperty("whole").GetInt32());
        Assert.Equal(4, more.GetProperty("third").GetInt32());
    }

    [Fact]
    public void The_white_papers_matrix_on_a_captured_machine_is_counted_by_placement()
    {
        CliResult r = Run("--mix", "database=40,web=100,monitoring=20", "--sysroot", PlanCases.Sysroot(PlanCases.Xeon));

        Assert.True(r.Exit == 0, r.Out + r.Err);
        Assert.Matches(@"needs \d+ nodes? like sysroot", r.Out);
        Assert.Contains("binding:", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mix_naming_an_unknown_profile_is_KVC016_with_the_known_profiles_and_exit_2()
    {
        CliResult r = Run("--mix", "whole=1,wholly=3", "--shape", "1x1x8x1,64G");

        Assert.Equal(2, r.Exit);
        Assert.Contains("error[KVC016]: --mix names profile 'wholly', which is neither built in nor a [profile] of", r.Err, StringComparison.Ordinal);
        Assert.Contains("= hint: did you mean 'whole'? the profiles are database, monitoring, third, web, whole; or declare [profile wholly]", r.Err, StringComparison.Ordinal);
        Assert.Equal("", r.Out);
    }

    [Theory]
    [InlineData("whole=-2", "whole=-2: the count must be a whole number")]
    [InlineData("whole=many", "whole=many: the count must be a whole number")]
    public void A_bad_mix_is_refused_with_exit_2(string mix, string says)
    {
        CliResult r = Run("--mix", mix, "--shape", "1x1x8x1,64G");

        Assert.Equal(2, r.Exit);
        Assert.Contains(says, r.Err, StringComparison.Ordinal);
        Assert.Equal("", r.Out);
    }

    [Fact]
    public void A_shape_that_cannot_host_one_vm_of_the_mix_says_so_with_exit_1()
    {
        CliResult r = Run("--mix", "whole=2", "--shape", "1x1x4x1,64G");

        Assert.Equal(1, r.Exit);
        Assert.Contains("does not fit on nodes like shape 1x1x4x1,64G: a VM fits on none of them", r.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(2, 5)]
    public void Ha_of_every_node_or_more_is_KVC082_with_exit_2_and_no_report(int nodes, int ha)
    {
        CliResult r = Run("--mix", "whole=1", "--shape", "1x1x8x1,64G", "--nodes", $"{nodes}", "--ha", $"{ha}");

        Assert.Equal(2, r.Exit);
        Assert.Contains($"error[KVC082]: --ha {ha} asks to survive losing {ha} of {nodes} nodes: none would be left", r.Err, StringComparison.Ordinal);
        Assert.Contains($"= hint: give --ha {nodes - 1} or less, or more --nodes", r.Err, StringComparison.Ordinal);
        Assert.Equal("", r.Out);
    }

    [Fact]
    public void A_shape_that_cannot_host_one_vm_says_so_in_json_too_with_exit_1()
    {
        CliResult r = Run("--mix", "whole=2", "--shape", "1x1x4x1,64G", "--format", "json");

        Assert.Equal(1, r.Exit);
        JsonElement root = JsonDocument.Parse(r.Out).RootElement;
        Assert.Equal(-1, root.GetProperty("nodes").GetInt32());
    }

    public void Dispose() => _dir.Dispose();
}
