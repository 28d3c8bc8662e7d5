using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Libvirt;
using KvmConfig.Monitoring.Sweeping;
using KvmConfig.TestSupport;

namespace KvmConfig.Monitoring.Tests;

/// <summary><see cref="QemuProcesses"/> on the real daemon and on hand-made state directories.</summary>
public sealed class QemuProcessesTests
{
    [Fact]
    public void The_pid_of_a_running_domain_is_its_qemu_process_and_a_stopped_one_has_none()
    {
        LibvirtDaemon.Ensure();
        using LibvirtConnection connection = LibvirtDaemon.Connect();
        using TestDomain running = TestDomain.Create(connection, "pid", vcpus: 1, start: true);
        using TestDomain stopped = TestDomain.Create(connection, "nopid", vcpus: 1);
        var processes = new QemuProcesses();

        int? pid = processes.PidOf(running.Name);

        Assert.NotNull(pid);
        Assert.StartsWith("qemu-system", File.ReadAllText($"/proc/{pid}/comm").Trim(), StringComparison.Ordinal);
        Assert.Contains($"guest={running.Name}", File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' '), StringComparison.Ordinal);
        Assert.Null(processes.PidOf(stopped.Name));
    }

    [Theory]
    [InlineData("12345\n", 12345)]
    [InlineData("77", 77)]
    public void A_pid_file_holds_a_decimal_pid(string text, int pid)
    {
        using TempState state = new(("vm1.pid", text));

        Assert.Equal(pid, new QemuProcesses(state.Dir).PidOf("vm1"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("-3")]
    public void A_pid_file_without_a_pid_is_KVC093_naming_the_file(string text)
    {
        using TempState state = new(("vm1.pid", text));

        KvmConfigException error = Assert.Throws<KvmConfigException>(() => new QemuProcesses(state.Dir).PidOf("vm1"));

        Assert.Equal(Rules.Unreadable, error.Descriptor);
        Assert.Equal(Path.Combine(state.Dir, "vm1.pid"), error.Path);
    }

    [Fact]
    public void A_missing_state_directory_means_nothing_runs()
    {
        Assert.Null(new QemuProcesses("/nonexistent/libvirt/qemu").PidOf("vm1"));
    }

    private sealed class TempState : IDisposable
    {
        public TempState(params (string Name, string Text)[] files)
        {
            Dir = Directory.CreateTempSubdirectory("kvmconfig-run-").FullName;
            foreach ((string name, string text) in files)
            {
                File.WriteAllText(Path.Combine(Dir, name), text);
            }
        }

        public string Dir { get; }

        public void Dispose() => Directory.Delete(Dir, recursive: true);
    }
}
