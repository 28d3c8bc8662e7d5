using KvmConfig.Core;
using KvmConfig.Core.Apply;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Domains;
using KvmConfig.Libvirt.Apply;
using KvmConfig.TestSupport;

namespace KvmConfig.Libvirt.Tests;

/// <summary>Five real domains (three running, two shut off) shared by the apply tests of one class instance.</summary>
public sealed class FiveDomains : IDisposable
{
    public FiveDomains()
    {
        LibvirtDaemon.Ensure();
        using LibvirtConnection connection = LibvirtDaemon.Connect();
        Domains =
        [
            TestDomain.Create(connection, "apply-a", start: true),
            TestDomain.Create(connection, "apply-b", start: true),
            TestDomain.Create(connection, "apply-c"),
            TestDomain.Create(connection, "apply-d", start: true),
            TestDomain.Create(connection, "apply-e"),
        ];
    }

    public IReadOnlyList<TestDomain> Domains { get; }

    public IEnumerable<string> Names => Domains.Select(d => d.Name);

    public void Dispose()
    {
        foreach (TestDomain domain in Domains)
        {
            domain.Dispose();
        }
    }
}

/// <summary>
/// <see cref="Applier"/> on the real daemon: all or nothing, journaled, idempotent, with a fault injected at every step
/// of a multi-domain apply. Each test leaves the domains as it found them.
/// </summary>
[Collection("apply")]
public sealed class ApplyTests(FiveDomains vms) : IClassFixture<FiveDomains>, IDisposable
{
    private readonly LibvirtConnection _connection = LibvirtDaemon.Connect();
    private readonly string _journalRoot = Directory.CreateTempSubdirectory("kvmconfig-journal-").FullName;

    // Two host CPUs here: every VM's vCPU 0 on CPU 1 and vCPU 1 on CPU 0, emulator on CPU 0, a weight of 300 and a
    // cap of 1.5 CPUs. Everything differs from libvirt's defaults, so every field is a change.
    private static DomainTuning Tuning() => new()
    {
        Vcpus = 2,
        VcpuPins = [CpuSet.Of(1), CpuSet.Of(0)],
        EmulatorCpus = CpuSet.Of(0),
        CpuShares = 300,
        CpuCap = CpuBandwidth.ForCpus(1.5),
    };

    [Fact]
    public void Apply_changes_persistent_and_live_state_and_virsh_sees_it()
    {
        // Given the three domains and their state before
        using var port = new LibvirtApplyPort(_connection);
        Dictionary<string, string> before = Snapshot(port);

        // When kvmconfig applies the tuning to all three
        (ApplyOutcome outcome, Journal journal) = ApplyAll(port);

        // Then every definition and every running domain says what was asked, through libvirt and through virsh
        Assert.True(outcome.Succeeded, outcome.Error?.Message);
        Assert.Equal("applied", Journal.Open(journal.Directory).Status);
        foreach (string name in vms.Names)
        {
            using LibvirtDomain domain = _connection.Lookup(name);
            Assert.Equal([CpuSet.Of(1), CpuSet.Of(0)], domain.VcpuPins(DomainImpact.Config));
            Assert.Equal(CpuSet.Of(0), domain.EmulatorPin(DomainImpact.Config));
            if (domain.IsActive)
            {
                Assert.Equal([CpuSet.Of(1), CpuSet.Of(0)], domain.VcpuPins(DomainImpact.Live));
                Assert.Equal(CpuSet.Of(0), domain.EmulatorPin(DomainImpact.Live));
                string schedinfo = LibvirtDaemon.Virsh("schedinfo", name, "--live").Stdout;
                Assert.Contains("cpu_shares     : 300", schedinfo, StringComparison.Ordinal);
                Assert.Contains("global_quota   : 150000", schedinfo, StringComparison.Ordinal);
                Assert.Contains("0      1", LibvirtDaemon.Virsh("vcpupin", name, "--live").Stdout, StringComparison.Ordinal);
                Assert.Contains("*: 0", LibvirtDaemon.Virsh("emulatorpin", name, "--live").Stdout.Replace("       ", " ", StringComparison.Ordinal), StringComparison.Ordinal);
            }

            // And the journal holds the XML from before
            Assert.Equal(before[name].Split('\n')[0], File.ReadAllText(Path.Combine(journal.Directory, $"{name}.xml")).Split('\n')[0]);
        }

        // And rolling back from the journal restores every domain exactly
        Assert.Empty(Applier.Restore(port, journal.Domains));
        Assert.Equal(before, Snapshot(port));
    }

    [Fact]
    public void Applying_the_same_tuning_twice_changes_nothing_the_second_time()
    {
        using var port = new LibvirtApplyPort(_connection);
        Dictionary<string, string> before = Snapshot(port);
        (ApplyOutcome first, Journal journal) = ApplyAll(port);
        Assert.True(first.Succeeded, first.Error?.Message);

        IReadOnlyList<DomainChange> again = vms.Names.Select(n => DomainChange.Plan(port.Find(n)!, Tuning())).ToList();

        Assert.All(again, c => Assert.True(c.IsEmpty, $"{c.Name}: {c.Diff}{string.Join("; ", c.Live.Select(l => l.Describe(c.Name)))}"));
        Assert.Empty(Applier.Restore(port, journal.Domains));
        Assert.Equal(before, Snapshot(port));
    }

    [Theory]
    [InlineData(false, "libvirt refuses the call")]
    [InlineData(true, "kvmconfig itself throws (an ArgumentException, as a plan for another host once did)")]
    public void A_failure_at_any_step_leaves_every_domain_as_it_was(bool notLibvirt, string description)
    {
        // Given the number of libvirt changes a full apply of the five domains makes
        using var real = new LibvirtApplyPort(_connection);
        Dictionary<string, string> before = Snapshot(real);
        var counting = new FaultyPort(real, failAt: int.MaxValue);
        (ApplyOutcome complete, Journal journal) = ApplyAll(counting);
        Assert.True(complete.Succeeded, complete.Error?.Message);
        Assert.Empty(Applier.Restore(real, journal.Domains));
        int steps = counting.Changes;
        Assert.True(steps >= 15, $"a full apply made {steps} changes");

        for (int n = 1; n <= steps; n++)
        {
            // When the n-th change fails
            var faulty = new FaultyPort(real, failAt: n, notLibvirt);
            (ApplyOutcome outcome, Journal failed) = ApplyAll(faulty);

            // Then the apply reports it, rolls back, and every domain is as it was, persistent and live
            Assert.False(outcome.Succeeded, description);
            Assert.Contains(notLibvirt ? "failed unexpectedly: ArgumentException: injected" : "injected failure", outcome.Error!.Message, StringComparison.Ordinal);
            Assert.Equal(faulty.FailedDomain, outcome.FailedDomain);
            Assert.Empty(outcome.RollbackErrors);
            Assert.Equal("rolled-back", Journal.Open(failed.Directory).Status);
            Assert.Equal(before, Snapshot(real));
        }
    }

    [Fact]
    public void A_domain_that_disappears_during_apply_fails_the_apply_and_the_others_are_restored()
    {
        using LibvirtConnection connection = LibvirtDaemon.Connect();
        using TestDomain doomed = TestDomain.Create(connection, "vanish", start: true);
        using var real = new LibvirtApplyPort(_connection);
        Dictionary<string, string> before = Snapshot(real);
        var vanishing = new VanishingPort(real, doomed.Name);
        string[] names = [.. vms.Names, doomed.Name];
        IReadOnlyList<DomainView> views = names.Select(n => real.Find(n)!).ToList();
        Journal journal = Journal.Create(_journalRoot, LibvirtDaemon.Uri, DateTimeOffset.UtcNow, views);

        ApplyOutcome outcome = Applier.Apply(vanishing, views.Select(v => DomainChange.Plan(v, Tuning())).ToList(), journal);

        Assert.False(outcome.Succeeded);
        Assert.Equal(doomed.Name, outcome.FailedDomain);
        Assert.Equal(LibvirtException.NoDomain, Assert.IsType<LibvirtException>(outcome.Error).Code);

        // The vanished domain was never touched, so nothing of it needs restoring: the rollback is complete (exit 4)
        Assert.Empty(outcome.RollbackErrors);
        Assert.Equal("rolled-back", Journal.Open(journal.Directory).Status);
        Assert.Equal(before, Snapshot(real));
    }

    [Fact]
    public void Domains_edited_or_undefined_after_they_were_read_are_named()
    {
        // Given the domains as apply read them before asking, then an operator's edit and an undefine meanwhile
        using LibvirtConnection connection = LibvirtDaemon.Connect();
        using TestDomain edited = TestDomain.Create(connection, "edited", start: true);
        using TestDomain undefined = TestDomain.Create(connection, "undefined", start: true);
        using var real = new LibvirtApplyPort(_connection);
        IReadOnlyList<DomainView> read = [.. vms.Names.Append(edited.Name).Append(undefined.Name).Select(n => real.Find(n)!)];
        Assert.Empty(Applier.ChangedSince(real, read));
        Assert.Equal(0, LibvirtDaemon.Virsh("desc", edited.Name, "--config", "--new-desc", "changed by hand").Exit);
        Assert.Equal(0, LibvirtDaemon.Virsh("undefine", undefined.Name).Exit);

        IReadOnlyList<string> changed = Applier.ChangedSince(real, read);

        // Then both are named, and only they: defining either now would undo the other change
        Assert.Equal(2, changed.Count);
        Assert.Contains($"VM '{edited.Name}' has another persistent definition now", changed);
        Assert.Contains($"VM '{undefined.Name}' was undefined meanwhile (it still runs, as a transient domain)", changed);
    }

    [Fact]
    public void A_restore_leaves_alone_a_domain_re_created_under_the_same_name()
    {
        // Given a journal of a domain, then that domain replaced by another of the same name (a new uuid)
        using LibvirtConnection connection = LibvirtDaemon.Connect();
        using TestDomain original = TestDomain.Create(connection, "recreated");
        using var real = new LibvirtApplyPort(_connection);
        DomainView saved = real.Find(original.Name)!;
        Journal journal = Journal.Create(_journalRoot, LibvirtDaemon.Uri, DateTimeOffset.UtcNow, [saved]);
        string oldUuid = journal.UuidOf(original.Name)!;
        Assert.Equal(0, LibvirtDaemon.Virsh("undefine", original.Name).Exit);
        string file = Path.Combine(_journalRoot, "newcomer.xml");
        File.WriteAllText(file, saved.PersistentXml.Replace(oldUuid, Guid.NewGuid().ToString(), StringComparison.OrdinalIgnoreCase)
            .Replace("</domain>", "<description>the newcomer</description></domain>", StringComparison.Ordinal));
        Assert.Equal(0, LibvirtDaemon.Virsh("define", file).Exit);
        string newcomer = real.Find(original.Name)!.PersistentXml;

        IReadOnlyList<string> errors = Applier.Restore(real, [saved], journal.UuidOf);

        // Then it is reported and not touched
        Assert.Contains("it is another domain now", Assert.Single(errors), StringComparison.Ordinal);
        Assert.Equal(newcomer, real.Find(original.Name)!.PersistentXml);
    }

    [Fact]
    public void A_restore_whose_define_fails_still_restores_the_live_values()
    {
        // Given every domain applied, then a restore through a port on which every define fails
        using var real = new LibvirtApplyPort(_connection);
        Dictionary<string, string> before = Snapshot(real);
        (ApplyOutcome applied, Journal journal) = ApplyAll(real);
        Assert.True(applied.Succeeded, applied.Error?.Message);

        IReadOnlyList<string> errors = Applier.Restore(new DefineRefusingPort(real), journal.Domains);

        // Then each define failure is reported, and the running domains' live values are back all the same
        Assert.Equal(vms.Names.Order(), errors.Select(e => e[..e.IndexOf(':', StringComparison.Ordinal)]).Order());
        Assert.All(errors, e => Assert.Contains("define refused", e, StringComparison.Ordinal));
        Dictionary<string, string> after = Snapshot(real);
        Assert.All(vms.Names, n => Assert.Equal(before[n].Split('\n')[^1], after[n].Split('\n')[^1]));
        Assert.Empty(Applier.Restore(real, journal.Domains));
        Assert.Equal(before, Snapshot(real));
    }

    [Fact]
    public void Xml_that_libvirt_rejects_fails_the_apply_on_that_vm_and_every_vm_is_restored()
    {
        // Given a port that spoils the last domain's XML the way a broken renderer would (an element libvirt's
        // schema does not know), so that libvirt itself refuses the define
        using var real = new LibvirtApplyPort(_connection);
        Dictionary<string, string> before = Snapshot(real);
        string last = vms.Domains[^1].Name;
        var spoiling = new SpoilingPort(real, last);

        // When the apply reaches it
        (ApplyOutcome outcome, Journal journal) = ApplyAll(spoiling);

        // Then the failure is libvirt's schema error on that VM's define, and the two VMs changed before it are back
        Assert.False(outcome.Succeeded);
        Assert.Equal(last, outcome.FailedDomain);
        Assert.Equal("define", outcome.FailedStep);
        Assert.Equal(LibvirtException.XmlInvalidSchema, Assert.IsType<LibvirtException>(outcome.Error).Code);
        Assert.Empty(outcome.RollbackErrors);
        Assert.Equal("rolled-back", Journal.Open(journal.Directory).Status);
        Assert.Equal(before, Snapshot(real));
    }

    [Fact]
    public async Task Two_applies_started_together_never_interleave()
    {
        // Given two applies of the same three domains, each under the host lock, recording every change they make
        using var real = new LibvirtApplyPort(_connection);
        Dictionary<string, string> before = Snapshot(real);
        string lockFile = Path.Combine(_journalRoot, "apply.lock");
        var log = new List<string>();
        using var start = new Barrier(2);
        Journal? first = null;

        void ApplyAs(string who)
        {
            var recording = new RecordingPort(real, who, log);
            start.SignalAndWait();
            using ApplyLock held = ApplyLock.Acquire(lockFile, TimeSpan.FromSeconds(60));
            (ApplyOutcome outcome, Journal journal) = ApplyAll(recording);
            Assert.True(outcome.Succeeded, outcome.Error?.Message);
            first ??= journal;
        }

        // When they start at the same moment
        Task a = Task.Factory.StartNew(() => ApplyAs("a"), TaskCreationOptions.LongRunning);
        Task b = Task.Factory.StartNew(() => ApplyAs("b"), TaskCreationOptions.LongRunning);
        await Task.WhenAll(a, b);

        // Then one ran all its changes, then the other (which found nothing left to do): never a mix
        Assert.NotEmpty(log);
        string firstApplier = log[0];
        int switches = log.Zip(log.Skip(1)).Count(p => p.First != p.Second);
        Assert.Equal(0, switches);
        Assert.All(log, who => Assert.Equal(firstApplier, who));
        Assert.Empty(Applier.Restore(real, first!.Domains));
        Assert.Equal(before, Snapshot(real));
    }

    [Fact]
    public void A_journal_directory_that_cannot_be_written_stops_before_any_change()
    {
        string file = Path.Combine(_journalRoot, "not-a-directory");
        File.WriteAllText(file, "");
        using var port = new LibvirtApplyPort(_connection);

        KvmConfigException error = Assert.Throws<KvmConfigException>(() =>
            Journal.Create(Path.Combine(file, "journal"), LibvirtDaemon.Uri, DateTimeOffset.UtcNow, [port.Find(vms.Domains[0].Name)!]));

        Assert.Equal(Rules.Unreadable, error.Descriptor);
        Assert.Contains("--journal", error.Hint, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _connection.Dispose();
        Directory.Delete(_journalRoot, recursive: true);
    }

    private (ApplyOutcome Outcome, Journal Journal) ApplyAll(IApplyPort port)
    {
        IReadOnlyList<DomainView> views = vms.Names.Select(n => port.Find(n)!).ToList();
        Journal journal = Journal.Create(_journalRoot, LibvirtDaemon.Uri, DateTimeOffset.UtcNow, views);
        return (Applier.Apply(port, views.Select(v => DomainChange.Plan(v, Tuning())).ToList(), journal), journal);
    }

    // Persistent XML and, for running domains, the live pins and scheduler values: what "as it was" means.
    private Dictionary<string, string> Snapshot(LibvirtApplyPort port) =>
        vms.Names.ToDictionary(n => n, n =>
        {
            DomainView view = port.Find(n)!;
            string live = view.Live is { } l
                ? $"pins={string.Join(' ', l.VcpuPins)} emulator={l.EmulatorPin} shares={l.CpuShares} cap={l.CpuCap}"
                : "stopped";
            return $"{view.PersistentXml}\n{live}";
        });

    /// <summary>Refuses every define, as libvirt would a definition it cannot store; everything else goes through.</summary>
    private sealed class DefineRefusingPort(IApplyPort inner) : IApplyPort
    {
        public DomainView? Find(string name) => inner.Find(name);

        public bool Exists(string name) => inner.Exists(name);

        public void Define(string name, string xml) => throw new KvmConfigException(Rules.LibvirtError, $"define refused for {name}");

        public void Apply(string name, LiveOperation operation) => inner.Apply(name, operation);
    }

    /// <summary>
    /// Fails the <c>failAt</c>-th change (define or live), once, as libvirt would or, with <c>notLibvirt</c>, with an
    /// exception of kvmconfig's own; counts every change.
    /// </summary>
    private sealed class FaultyPort(IApplyPort inner, int failAt, bool notLibvirt = false) : IApplyPort
    {
        public int Changes { get; private set; }

        public string? FailedDomain { get; private set; }

        public DomainView? Find(string name) => inner.Find(name);

        public bool Exists(string name) => inner.Exists(name);

        public void Define(string name, string xml)
        {
            Count(name);
            inner.Define(name, xml);
        }

        public void Apply(string name, LiveOperation operation)
        {
            Count(name);
            inner.Apply(name, operation);
        }

        private void Count(string name)
        {
            if (++Changes == failAt)
            {
                FailedDomain = name;
                throw notLibvirt
                    ? new ArgumentException($"injected at change {failAt} on {name}")
                    : new KvmConfigException(Rules.LibvirtError, $"injected failure at change {failAt} on {name}");
            }
        }
    }

    /// <summary>Adds an element libvirt's schema does not know to one domain's XML before defining it.</summary>
    private sealed class SpoilingPort(IApplyPort inner, string victim) : IApplyPort
    {
        public DomainView? Find(string name) => inner.Find(name);

        public bool Exists(string name) => inner.Exists(name);

        public void Define(string name, string xml) =>
            inner.Define(name, name == victim ? xml.Replace("</domain>", "  <kvmconfig-not-a-libvirt-element/>\n</domain>", StringComparison.Ordinal) : xml);

        public void Apply(string name, LiveOperation operation) => inner.Apply(name, operation);
    }

    /// <summary>Logs who made each change (under a lock of its own: the two applies run on two threads).</summary>
    private sealed class RecordingPort(IApplyPort inner, string who, List<string> log) : IApplyPort
    {
        public DomainView? Find(string name) => inner.Find(name);

        public bool Exists(string name) => inner.Exists(name);

        public void Define(string name, string xml)
        {
            Record();
            inner.Define(name, xml);
        }

        public void Apply(string name, LiveOperation operation)
        {
            Record();
            inner.Apply(name, operation);
        }

        private void Record()
        {
            lock (log)
            {
                log.Add(who);
            }
        }
    }

    /// <summary>
    /// Destroys and undefines one domain when the apply reaches it (its existence check through this port), as another
    /// administrator might between kvmconfig's plan and its change.
    /// </summary>
    private sealed class VanishingPort(IApplyPort inner, string victim) : IApplyPort
    {
        private bool _gone;

        public DomainView? Find(string name) => inner.Find(name);

        public bool Exists(string name)
        {
            if (name == victim && !_gone)
            {
                _gone = true;
                Assert.Equal(0, LibvirtDaemon.Virsh("destroy", victim).Exit);
                Assert.Equal(0, LibvirtDaemon.Virsh("undefine", victim).Exit);
            }

            return inner.Exists(name);
        }

        public void Define(string name, string xml) => inner.Define(name, xml);

        public void Apply(string name, LiveOperation operation) => inner.Apply(name, operation);
    }
}
