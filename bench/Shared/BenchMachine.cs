using System.Globalization;
using System.Runtime.InteropServices;

namespace KvmConfig.Bench.Shared;

/// <summary>What docs/performance.md records next to each figure: the machine, its load, the date.</summary>
internal static class BenchMachine
{
    /// <summary>The 1, 5 and 15 minute load averages, as /proc/loadavg gives them.</summary>
    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    /// <summary>Prints CPU count and model, RAM, OS and kernel, .NET and GC mode, and the UTC date.</summary>
    public static void Print()
    {
        string cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        string memTotal = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        long memKiB = long.Parse(memTotal["MemTotal:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        string os = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?["PRETTY_NAME=".Length..].Trim('"') ?? "Linux"
            : "Linux";
        string kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        Console.WriteLine($"machine     {Environment.ProcessorCount} CPUs (nproc), {cpu}, {memKiB / 1024.0 / 1024.0:F1} GiB RAM");
        Console.WriteLine($"os          {os}, kernel {kernel}, {RuntimeInformation.OSArchitecture}");
        Console.WriteLine($".NET        {RuntimeInformation.FrameworkDescription}, GC {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}");
        Console.WriteLine($"date        {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
    }
}
