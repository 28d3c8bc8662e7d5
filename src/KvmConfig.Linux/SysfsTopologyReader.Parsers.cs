using System.Globalization;
using KvmConfig.Core;
using static KvmConfig.Linux.KernelFiles;

namespace KvmConfig.Linux;

// Parsers: text in, values out; no file access. Each shows the kernel's line above the code.
public sealed partial class SysfsTopologyReader
{
    private static readonly char[] Blanks = [' ', '\t', '\n', '\r', '\v', '\f', '\0'];

    /// <summary>
    /// Parses a kernel cpulist file (<c>cpu/online</c>, <c>nodeN/cpulist</c>, <c>shared_cpu_list</c>). An empty
    /// file and the kernel's <c>(null)</c> (printed by <c>nohz_full</c> when no CPU is tickless) are the empty set;
    /// blanks and NUL bytes around the list are not content. Throws <see cref="FormatException"/> when malformed.
    /// </summary>
    public static CpuSet ParseCpuList(string text)
    {
        // "0-2,5-6,10-12,15-16,40-42\n"       ranges and single CPUs, comma separated, ascending
        // "                  (null)\n"        cpu/nohz_full without nohz_full= on the command line
        string trimmed = Clean(text);
        return trimmed == "(null)" ? CpuSet.Empty : CpuSet.Parse(trimmed);
    }

    /// <summary>
    /// Parses cpufreq's <c>related_cpus</c> and <c>affected_cpus</c>: CPU numbers separated by spaces, as the
    /// kernel's <c>cpufreq_show_cpus</c> prints them (not the cpulist syntax). A word in cpulist form (<c>0-3</c>) is
    /// taken too, so a tree rewritten by a tool still reads. Throws <see cref="FormatException"/> on any other word.
    /// </summary>
    public static CpuSet ParseCpuNumbers(string text)
    {
        // "0 1 2 3\n"     acpi-cpufreq: one policy for the whole package, every CPU listed
        // "4\n"           intel_pstate: one policy per CPU
        var builder = new CpuSet.Builder();
        foreach (string word in text.Split(Blanks, StringSplitOptions.RemoveEmptyEntries))
        {
            if (!CpuSet.TryParse(word, out CpuSet? cpus, out CpuListError? error))
            {
                throw new FormatException($"\"{word}\" in \"{Clean(text)}\" is not a CPU number: {error.Message}");
            }

            builder.AddAll(cpus);
        }

        return builder.ToCpuSet();
    }

    /// <summary>Parses a kernel hex mask file (<c>cpumap</c>, <c>thread_siblings</c>), blanks and NULs aside.</summary>
    public static CpuSet ParseMask(string text) => CpuSet.ParseHexMask(Clean(text));

    /// <summary>
    /// Parses <c>nodeN/meminfo</c> or <c>/proc/meminfo</c> into field name and value (KiB for sizes, a count for
    /// <c>HugePages_*</c>). Throws <see cref="FormatException"/> on a line without a number.
    /// </summary>
    public static IReadOnlyDictionary<string, long> ParseMeminfo(string text)
    {
        // nodeN/meminfo:  "Node 0 MemTotal:       48005604 kB"     /proc/meminfo:  "MemTotal:       16303428 kB"
        //                  (1)  (2) (3)            (4)     (5)                       (3)             (4)      (5)
        // 1 "Node", only in the per-node file   2 node id   3 field name, ends in ':' and may hold "(anon)"
        // 4 value   5 unit: "kB" (KiB) for sizes, absent for page counts ("Node 0 HugePages_Total:  2560")
        var fields = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string rawLine in text.Split('\n'))
        {
            string line = Clean(rawLine);
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith("Node ", StringComparison.Ordinal))
            {
                int afterId = line.IndexOf(' ', 5);
                line = afterId < 0 ? string.Empty : line[(afterId + 1)..].TrimStart();
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new FormatException($"line \"{rawLine.Trim()}\" has no 'Field:'");
            }

            string name = line[..colon];
            string[] value = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (value.Length is 0 or > 2
                || (value.Length == 2 && value[1] != "kB")
                || !long.TryParse(value[0], NumberStyles.None, CultureInfo.InvariantCulture, out long number))
            {
                throw new FormatException($"line \"{rawLine.Trim()}\" does not end in a number of kB or a count");
            }

            fields[name] = number;
        }

        return fields;
    }

    /// <summary>
    /// Parses <c>nodeN/distance</c>: one SLIT distance per online node, in node order. Throws
    /// <see cref="FormatException"/> when a word is not a number.
    /// </summary>
    public static IReadOnlyList<int> ParseDistances(string text)
    {
        // "10 11 21 21"   distance from this node to node/online's 1st, 2nd, ... node; 10 is local (LOCAL_DISTANCE)
        var distances = new List<int>();
        foreach (string word in text.Split(Blanks, StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(word, NumberStyles.None, CultureInfo.InvariantCulture, out int d))
            {
                throw new FormatException($"\"{word}\" in \"{Clean(text)}\" is not a distance");
            }

            distances.Add(d);
        }

        return distances;
    }

    /// <summary>
    /// The page size in KiB named by a huge page directory (<c>hugepages-2048kB</c> gives 2048), or null when the
    /// name has another form.
    /// </summary>
    public static long? ParseHugePageDirectoryName(string name)
    {
        // "hugepages-1048576kB"    (1) "hugepages-"  (2) page size  (3) "kB"
        const string prefix = "hugepages-", suffix = "kB";
        if (!name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(suffix, StringComparison.Ordinal))
        {
            return null;
        }

        ReadOnlySpan<char> size = name.AsSpan(prefix.Length, name.Length - prefix.Length - suffix.Length);
        return long.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out long kib) && kib > 0 ? kib : null;
    }

    /// <summary>Parses a one-number sysfs attribute (<c>core_id</c>, <c>nr_hugepages</c>); may be negative.</summary>
    public static long ParseNumber(string text)
    {
        // "17\n"   physical_package_id and cluster_id are -1 where the platform does not say
        string trimmed = Clean(text);
        return long.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n)
            ? n
            : throw new FormatException($"\"{trimmed}\" is not a number");
    }

    /// <summary>Parses <c>scaling_available_governors</c>: governor names separated by spaces.</summary>
    public static IReadOnlyList<string> ParseGovernors(string text) =>
        // "performance powersave \n"   (the kernel leaves a space before the newline)
        text.Split(Blanks, StringSplitOptions.RemoveEmptyEntries);
}
