using KvmConfig.Core.Host;
using KvmConfig.Libvirt.Host;
using KvmConfig.TestSupport;

namespace KvmConfig.UseCases.Tests;

/// <summary><c>doctor</c> called as a library, without the CLI: <see cref="HostDoctor.Run"/> on a host tree.</summary>
public sealed class DoctorUseCaseTests : IDisposable
{
    private readonly ConfigDir _dir = new(
        ("00-cpu.conf", "reserved = 0,4\nmemory_reserved = 2G\n"),
        ("10-vms.conf", "[vm db]\nvcpus = 2\ncpus = auto\nmemory = 2G\nhugepages = 2M\n"));

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_library_judges_a_captured_host_for_a_declaration()
    {
        DoctorOutcome outcome = HostDoctor.Run(_dir.Dir, TestData.Path("hosts", "ready-intel-apparmor"), libvirtUri: null);

        Assert.True(outcome.Check.Ok);
        Assert.NotNull(outcome.Plan);
        Assert.Null(outcome.LibvirtUri);
        Assert.Equal(CheckStatus.Unknown, outcome.Report.Find("libvirt")!.Status);
        Assert.Equal(CheckStatus.Pass, outcome.Report.Find("hugepages")!.Status);
        Assert.Equal(0, outcome.Report.Count(CheckStatus.Fail));
    }
}
