using System.Globalization;

namespace KvmConfig.Core;

/// <summary>Human formatting of sizes, as administrators read them in <c>free -h</c> and <c>lscpu</c>.</summary>
public static class Units
{
    /// <summary>MiB as <c>512M</c>, <c>4G</c>, <c>1.5G</c>, <c>2T</c> (binary units, at most one decimal; T only when exact).</summary>
    public static string MiB(long mib)
    {
        // T only when it is exact to one decimal, so that 1025G is not shown as "1T".
        if (mib >= 1024L * 1024 && mib * 10 % (1024L * 1024) == 0)
        {
            return Format(mib / (1024.0 * 1024)) + "T";
        }

        return mib >= 1024 ? Format(mib / 1024.0) + "G" : mib.ToString(CultureInfo.InvariantCulture) + "M";
    }

    /// <summary>KiB as a binary size, rounded to one decimal.</summary>
    public static string KiB(long kib) =>
        kib >= 1024L * 1024 * 1024 ? Format(kib / (1024.0 * 1024 * 1024)) + "T"
        : kib >= 1024L * 1024 ? Format(kib / (1024.0 * 1024)) + "G"
        : kib >= 1024 ? Format(kib / 1024.0) + "M"
        : kib.ToString(CultureInfo.InvariantCulture) + "K";

    private static string Format(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

    /// <summary>A huge page size as administrators write it: <c>2M</c>, <c>1G</c>, <c>64K</c>.</summary>
    public static string PageSize(long kib) =>
        kib % (1024 * 1024) == 0 ? $"{kib / (1024 * 1024)}G"
        : kib % 1024 == 0 ? $"{kib / 1024}M"
        : $"{kib}K";

    /// <summary><c>1 CPU</c>, <c>3 CPUs</c>: a count with its noun, plural when it is not one.</summary>
    public static string Plural(int n, string noun) => $"{n} {noun}{(n == 1 ? "" : "s")}";

    /// <summary>A CPU or node list for a sentence: its cpulist, or <c>none</c> when empty.</summary>
    public static string OrNone(CpuSet set) => set.IsEmpty ? "none" : set.ToString();
}
