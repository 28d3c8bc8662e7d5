using System.Globalization;
using KvmConfig.Core;
using static KvmConfig.Linux.KernelFiles;

namespace KvmConfig.Linux;

// File access: every read goes through here (and KernelFiles), so every failure names its path.
public sealed partial class SysfsTopologyReader
{
    /// <summary>Entries <c>{prefix}N</c> of a directory, N ascending; other names are skipped.</summary>
    private static List<int> NumberedEntries(string dir, string prefix, bool directoriesOnly)
    {
        try
        {
            IEnumerable<string> entries = directoriesOnly
                ? Directory.EnumerateDirectories(dir, prefix + "*")
                : Directory.EnumerateFileSystemEntries(dir, prefix + "*");
            var ids = new List<int>();
            foreach (string entry in entries)
            {
                ReadOnlySpan<char> name = Path.GetFileName(entry.AsSpan());
                if (name.StartsWith(prefix, StringComparison.Ordinal)
                    && name.Length - prefix.Length is > 0 and <= 5
                    && int.TryParse(name[prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int id)
                    && id <= CpuSet.MaxCpuId)
                {
                    ids.Add(id);
                }
            }

            ids.Sort();
            return ids;
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw LinuxErrors.CannotList(dir, e);
        }
    }

    private static CpuSet? ReadCpuListOrNull(string path) =>
        ReadIfPresent(path) is string text ? Parse(path, text, ParseCpuList) : null;

    private static CpuSet? ReadHexMaskOrNull(string path) =>
        ReadIfPresent(path) is string text ? Parse(path, text, ParseMask) : null;

    private static IReadOnlyDictionary<string, long>? ReadMeminfoOrNull(string path) =>
        ReadIfPresent(path) is string text ? Parse(path, text, ParseMeminfo) : null;

    /// <summary>
    /// A file's text, or null when it is missing or blank. A value file that is empty says nothing, as lscpu reads it:
    /// captures made with cp leave a file empty when the kernel refused the read (-EBUSY from an inactive cpufreq
    /// policy, -EIO from a driver). Lists whose empty value means something (a node's CPUs) do not read through here.
    /// </summary>
    private static string? ReadTextOrNull(string path) =>
        ReadIfPresent(path) is string text && Clean(text).Length > 0 ? text : null;

    private static long? ReadLongOrNull(string path) =>
        ReadTextOrNull(path) is string text ? Parse(path, text, ParseNumber) : null;

    private static int? ReadIntOrNull(string path) =>
        ReadTextOrNull(path) is string text ? Parse(path, text, t => checked((int)ParseNumber(t))) : null;

    /// <summary>A CPU pool (<c>possible</c>, <c>present</c>, <c>online</c>), or null when missing or empty: no kernel
    /// writes an empty one (CPU 0 is always there), so an empty file is a read that failed when the tree was copied.</summary>
    private static CpuSet? ReadPoolOrNull(string path) =>
        ReadTextOrNull(path) is string text && Parse(path, text, ParseCpuList) is { IsEmpty: false } pool ? pool : null;

    /// <summary>
    /// A kernel id (<c>core_id</c>, <c>physical_package_id</c>), or null when missing, empty or -1 ("not known"). Some
    /// kernels print the unknown id unsigned (4294967295); an id beyond an int is unknown too, not an error.
    /// </summary>
    private static int? ReadIdOrNull(string path) => ReadLongOrNull(path) is long id and >= 0 and <= int.MaxValue ? (int)id : null;

    /// <summary>
    /// The first of <paramref name="paths"/> that exists and names a CPU, read as a cpulist (<c>*_list</c>) or a hex
    /// mask. The sets read this way (siblings, caches) always hold the CPU itself, so an empty one is a failed read.
    /// </summary>
    private static CpuSet? ReadFirstCpuSet(params string[] paths)
    {
        foreach (string path in paths)
        {
            CpuSet? set = path.EndsWith("_list", StringComparison.Ordinal) ? ReadCpuListOrNull(path) : ReadHexMaskOrNull(path);
            if (set is { IsEmpty: false })
            {
                return set;
            }
        }

        return null;
    }

    /// <summary>"CPU 3" or "CPUs 0-7,9": a CPU set in a note.</summary>
    private static string Cpus(CpuSet cpus) => cpus.Count == 1 ? $"CPU {cpus}" : $"CPUs {cpus}";
}
