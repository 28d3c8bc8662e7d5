using System.Diagnostics;
using System.Globalization;
using KvmConfig.Bench.Shared;
using KvmConfig.Core;
using KvmConfig.Monitoring;
using KvmConfig.Monitoring.Prometheus;
using KvmConfig.Monitoring.Sweeping;
using Microsoft.Win32.SafeHandles;

namespace KvmConfig.MonitorBench;

/// <summary>
/// Part 2, <c>synthetic</c>: the CPU time one sweep of the local sampling path costs with 200 domains of 4 vCPUs, on a
/// generated procfs tree (<see cref="SyntheticProcfs"/>) read through <see cref="SyntheticSweeper"/> (what
/// <see cref="LocalSweeper"/> does, minus libvirt's domain list). Three ways, alternating sweep by sweep:
/// <list type="bullet">
/// <item>baseline: the same files read with <c>File.ReadAllText</c> and nothing parsed but the pids (the I/O floor any
/// sampler of these files pays);</item>
/// <item>kvmconfig: <c>Sweep()</c>;</item>
/// <item>kvmconfig's sampling loop per sweep without the history: <c>Sweep()</c>, <c>SweepFigures.Between</c> the previous
/// sweep, and the exposition of the samples (<c>MetricsExposition.Render</c>, as the exporter renders once per sweep).</item>
/// </list>
/// Before every measurement (untimed) the vCPUs' schedstat files are rewritten for the time elapsed, so that values move
/// as on a live host.
/// </summary>
internal static class SyntheticBench
{
    // The issue's target: at most 10 ms of CPU per sweep of 200 domains x 4 vCPUs (median).
    private const double TargetCpuMs = 10;

    private enum Way
    {
        KeptHandlesFloor,
        LeanFloor,
        Baseline,
        Sweep,
        SweepFiguresRender,
    }

    private sealed record Measurement(double CpuMs, double ThreadCpuMs, double WallMs, long AllocatedBytes);

    public static int Run(string[] args)
    {
        if (Options.Parse(args, [("--domains", 200, 1, 5000), ("--vcpus", 4, 1, 16), ("--sweeps", 50, 1, 100_000), ("--warmup", 100, 0, 100_000), ("--seed", 20261128, 0, int.MaxValue)], ["--keep"]) is not { } options)
        {
            Console.Error.WriteLine("usage: KvmConfig.MonitorBench synthetic [--domains N (200)] [--vcpus N (4)] [--sweeps N (50)] [--warmup N (100)] [--seed S] [--keep]");
            return 2;
        }

        using var cancel = Interrupt.Create();
        string loadBefore = BenchMachine.LoadAverage();
        string root = Directory.CreateTempSubdirectory("kvmconfig-monitorbench-").FullName;
        try
        {
            long made = Stopwatch.GetTimestamp();
            SyntheticProcfs tree = SyntheticProcfs.Create(root, options["--domains"], options["--vcpus"], options["--seed"]);
            int threads = tree.Domains.Sum(d => d.Threads);
            Console.WriteLine($"tree        {root}: {tree.Domains.Count} QEMU processes x {options["--vcpus"]} vCPU threads, {threads} threads in all, seed {options["--seed"]}, " +
                $"made in {Stopwatch.GetElapsedTime(made).TotalSeconds:F1} s ({BenchLibvirt.FileSystem(root)})");

            var sweeper = SyntheticSweeper.Of(tree);
            var clock = Stopwatch.StartNew();
            byte[] buffer = new byte[64 * 1024];
            using var kept = new KeptHandles(tree);
            SweepSample? previous = null;
            int exposition = 0;
            Measurement Measure(Way way)
            {
                tree.Advance(clock.Elapsed, atomic: false);
                long allocated = GC.GetAllocatedBytesForCurrentThread();
                TimeSpan cpu = CpuClock.Process();
                TimeSpan thread = CpuClock.Thread();
                long start = Stopwatch.GetTimestamp();
                SweepSample? sample = null;
                switch (way)
                {
                    case Way.KeptHandlesFloor:
                        kept.Read(buffer);
                        break;
                    case Way.LeanFloor:
                        ReadFilesLean(tree, buffer);
                        break;
                    case Way.Baseline:
                        ReadFiles(tree);
                        break;
                    case Way.Sweep:
                        sample = sweeper.Sweep();
                        break;
                    case Way.SweepFiguresRender:
                        sample = sweeper.Sweep();
                        if (previous is not null)
                        {
                            _ = SweepFigures.Between(previous, sample);
                        }

                        exposition = MetricsExposition.Render(sample.Domains).Length;
                        previous = sample;
                        break;
                }

                var measurement = new Measurement(
                    (CpuClock.Process() - cpu).TotalMilliseconds,
                    (CpuClock.Thread() - thread).TotalMilliseconds,
                    Stopwatch.GetElapsedTime(start).TotalMilliseconds,
                    GC.GetAllocatedBytesForCurrentThread() - allocated);
                if (sample is not null)
                {
                    Check(sample, tree);
                }

                return measurement;
            }

            Way[] ways = [Way.KeptHandlesFloor, Way.LeanFloor, Way.Baseline, Way.Sweep, Way.SweepFiguresRender];
            for (int i = 0; i < options["--warmup"]; i++)
            {
                cancel.Token.ThrowIfCancellationRequested();
                foreach (Way way in ways)
                {
                    Measure(way);
                }
            }

            // Tiered compilation recompiles hot methods on a background thread about 100 ms after they get hot; that CPU
            // is the process's too, so it is let finish before the timed sweeps.
            Thread.Sleep(TimeSpan.FromSeconds(1));
            int gcBefore = GC.CollectionCount(0);
            var results = ways.ToDictionary(w => w, _ => new List<Measurement>());
            for (int i = 0; i < options["--sweeps"]; i++)
            {
                cancel.Token.ThrowIfCancellationRequested();
                for (int k = 0; k < ways.Length; k++)
                {
                    Way way = ways[(i + k) % ways.Length];
                    results[way].Add(Measure(way));
                }
            }

            int gcs = GC.CollectionCount(0) - gcBefore;
            string loadAfter = BenchMachine.LoadAverage();

            Summary sweepCpu = Summary.Of(results[Way.Sweep].Select(m => m.CpuMs));
            Console.WriteLine();
            Console.WriteLine($"| Sweep of {tree.Domains.Count} synthetic domains x {options["--vcpus"]} vCPUs ({options["--sweeps"]} sweeps after {options["--warmup"]} warm-up, alternating, same run) " +
                "| CPU median | CPU p90 | CPU max | Calling thread CPU (median) | Wall median | Allocated per sweep (median) |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
            Row("floor with kept handles: comm read once per thread, schedstat handles kept open and read again at offset 0, the other files as below", results[Way.KeptHandlesFloor]);
            Row("floor: the same files read into one reused buffer (`File.OpenHandle` + `RandomAccess.Read`), nothing parsed", results[Way.LeanFloor]);
            Row("baseline: the same files read with `File.ReadAllText` (as `ProcfsReader` reads), nothing parsed", results[Way.Baseline]);
            Row("**kvmconfig**: `Sweep()` (`LocalSampler` + `ProcfsReader` per domain, host counters)", results[Way.Sweep], bold: true);
            Row("kvmconfig: `Sweep()` + `SweepFigures.Between` + `MetricsExposition.Render`", results[Way.SweepFiguresRender]);
            void Row(string label, List<Measurement> list, bool bold = false)
            {
                Summary cpu = Summary.Of(list.Select(m => m.CpuMs));
                string median = bold ? $"**{Format.Ms(cpu.Median)}**" : Format.Ms(cpu.Median);
                Console.WriteLine($"| {label} | {median} | {Format.Ms(cpu.P90)} | {Format.Ms(cpu.Max)} | {Format.Ms(Summary.Of(list.Select(m => m.ThreadCpuMs)).Median)} | " +
                    $"{Format.Ms(Summary.Of(list.Select(m => m.WallMs)).Median)} | {Format.Bytes(Summary.Of(list.Select(m => (double)m.AllocatedBytes)).Median)} |");
            }

            int files = tree.Domains.Sum(d => 6 + d.Threads + d.Vcpus.Count) + HostFiles.Length;
            Console.WriteLine();
            Console.WriteLine($"per sweep   {files} files read: per domain its pid file, a comm per thread ({threads} in all), a schedstat per vCPU, status, cgroup, " +
                $"the group's cpu.stat and its two blkio files; {HostFiles.Length} host files; {tree.Domains.Count} task directories listed. " +
                $"{(sweepCpu.Median * 1000 / tree.Domains.Count).ToString("F1", CultureInfo.InvariantCulture)} us CPU per domain; exposition {Format.Bytes(exposition)}");
            Console.WriteLine($"gc          {gcs} gen0 collections during the timed sweeps (their CPU is in the figures)");
            Console.WriteLine();
            BenchMachine.Print();
            Console.WriteLine($"load        {loadBefore} before, {loadAfter} after (1, 5, 15 min; other work on the machine shows here)");
            Console.WriteLine();
            bool met = sweepCpu.Median <= TargetCpuMs;
            Console.WriteLine($"target      sweep CPU median <= {TargetCpuMs:F0} ms at {tree.Domains.Count} x {options["--vcpus"]}: {Format.Ms(sweepCpu.Median)} (p90 {Format.Ms(sweepCpu.P90)}) {(met ? "met" : "MISSED")}");
            return met ? 0 : 1;
        }
        catch (Exception e) when (e is BenchFailure or KvmConfigException or IOException or OperationCanceledException)
        {
            Console.Error.WriteLine($"bench failed: {e.Message}");
            return 2;
        }
        finally
        {
            if (options.Has("--keep"))
            {
                Console.WriteLine($"kept        {root}");
            }
            else
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    /// <summary>
    /// The system-call floor of a sweep: every file the sweep reads, opened and read into one reused buffer (no string, no
    /// decoding), the pid parsed from the bytes and a thread's name compared as bytes. What a sampler that keeps its
    /// buffers pays at least.
    /// </summary>
    private static void ReadFilesLean(SyntheticProcfs tree, byte[] buffer)
    {
        int Read(string path)
        {
            using SafeFileHandle handle = File.OpenHandle(path);
            return RandomAccess.Read(handle, buffer, 0);
        }

        foreach (SyntheticDomain domain in tree.Domains)
        {
            int length = Read(Path.Combine(tree.RunRoot, domain.Name + ".pid"));
            string dir = Path.Combine(tree.ProcRoot, int.Parse(buffer.AsSpan(0, length), CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture));
            foreach (string task in Directory.EnumerateDirectories(Path.Combine(dir, "task")))
            {
                if (Read(Path.Combine(task, "comm")) > 4 && buffer.AsSpan(0, 4).SequenceEqual("CPU "u8))
                {
                    Read(Path.Combine(task, "schedstat"));
                }
            }

            Read(Path.Combine(dir, "status"));
            Read(Path.Combine(dir, "cgroup"));
            foreach (string file in CgroupFiles(tree, domain))
            {
                Read(file);
            }
        }

        foreach (string file in HostFiles)
        {
            Read(Path.Combine(tree.ProcRoot, file));
        }
    }

    /// <summary>
    /// The floor of a sampler that keeps what does not change between sweeps, as <c>ProcfsReader</c>'s remarks suggest:
    /// a thread's name is read once (QEMU names a thread once), and each vCPU's schedstat handle stays open and is read
    /// again from offset 0 (procfs builds the text at each read; here the file is rewritten in place, so the handle sees
    /// the new text). The pid files, task directories, status and cgroup files are opened and read every sweep, as they
    /// tell a restart or a new thread. What a sweep could cost with that design; not what kvmconfig does today.
    /// </summary>
    private sealed class KeptHandles(SyntheticProcfs tree) : IDisposable
    {
        private readonly Dictionary<string, SafeFileHandle?> _vcpuSchedstat = new(StringComparer.Ordinal);

        public void Read(byte[] buffer)
        {
            int ReadFile(string path)
            {
                using SafeFileHandle handle = File.OpenHandle(path);
                return RandomAccess.Read(handle, buffer, 0);
            }

            foreach (SyntheticDomain domain in tree.Domains)
            {
                int length = ReadFile(Path.Combine(tree.RunRoot, domain.Name + ".pid"));
                string dir = Path.Combine(tree.ProcRoot, int.Parse(buffer.AsSpan(0, length), CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture));
                foreach (string task in Directory.EnumerateDirectories(Path.Combine(dir, "task")))
                {
                    if (!_vcpuSchedstat.TryGetValue(task, out SafeFileHandle? schedstat))
                    {
                        bool vcpu = ReadFile(Path.Combine(task, "comm")) > 4 && buffer.AsSpan(0, 4).SequenceEqual("CPU "u8);
                        schedstat = vcpu ? File.OpenHandle(Path.Combine(task, "schedstat")) : null;
                        _vcpuSchedstat[task] = schedstat;
                    }

                    if (schedstat is not null)
                    {
                        RandomAccess.Read(schedstat, buffer, 0);
                    }
                }

                ReadFile(Path.Combine(dir, "status"));
                ReadFile(Path.Combine(dir, "cgroup"));
                foreach (string file in CgroupFiles(tree, domain))
                {
                    ReadFile(file);
                }
            }

            foreach (string file in HostFiles)
            {
                ReadFile(Path.Combine(tree.ProcRoot, file));
            }
        }

        public void Dispose()
        {
            foreach (SafeFileHandle? handle in _vcpuSchedstat.Values)
            {
                handle?.Dispose();
            }
        }
    }

    /// <summary>
    /// The I/O floor of a sweep as ProcfsReader reads: every file the sweep reads, read whole as text the way <c>ProcfsReader</c> reads it, with
    /// the pid parsed (it names the directory) and a thread's name only compared, to know which schedstat to read.
    /// </summary>
    private static void ReadFiles(SyntheticProcfs tree)
    {
        foreach (SyntheticDomain domain in tree.Domains)
        {
            string pid = File.ReadAllText(Path.Combine(tree.RunRoot, domain.Name + ".pid")).Trim();
            string dir = Path.Combine(tree.ProcRoot, pid);
            foreach (string task in Directory.EnumerateDirectories(Path.Combine(dir, "task")))
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).StartsWith("CPU ", StringComparison.Ordinal))
                {
                    _ = File.ReadAllText(Path.Combine(task, "schedstat"));
                }
            }

            _ = File.ReadAllText(Path.Combine(dir, "status"));
            _ = File.ReadAllText(Path.Combine(dir, "cgroup"));
            foreach (string file in CgroupFiles(tree, domain))
            {
                _ = File.ReadAllText(file);
            }
        }

        foreach (string file in HostFiles)
        {
            _ = File.ReadAllText(Path.Combine(tree.ProcRoot, file));
        }
    }

    // The host files LocalSweeper.ReadHost reads.
    private static readonly string[] HostFiles = ["pressure/cpu", "pressure/memory", "pressure/io", "diskstats", "net/snmp", "vmstat"];

    // The domain group's files CgroupReader reads, found from PID/cgroup's cpu and blkio lines (v1: ROOT/CONTROLLER/GROUP).
    private static string[] CgroupFiles(SyntheticProcfs tree, SyntheticDomain domain) =>
    [
        Path.Combine(tree.CgroupRoot, "cpu", domain.Group.TrimStart('/'), "cpu.stat"),
        Path.Combine(tree.CgroupRoot, "blkio", domain.Group.TrimStart('/'), "blkio.throttle.io_service_bytes_recursive"),
        Path.Combine(tree.CgroupRoot, "blkio", domain.Group.TrimStart('/'), "blkio.throttle.io_serviced_recursive"),
    ];

    // Outside the timing: every domain sampled, with every vCPU, its RSS and its cgroup's counters (the tree has every file
    // the sampler reads; a sample without them means the sampler reads something new and the tree must follow).
    private static void Check(SweepSample sample, SyntheticProcfs tree)
    {
        if (sample.Domains.Count != tree.Domains.Count
            || sample.Domains.Any(d => d.Vcpus.Count != tree.Domains[0].Vcpus.Count || d.RssKiB is null || d.CgroupCpu is null || d.HostIo.Count != 1))
        {
            throw new BenchFailure($"the sweep read {sample.Domains.Count} of {tree.Domains.Count} domains, or one without all its vCPUs, its RSS or its cgroup's CPU and I/O counters");
        }
    }

}
