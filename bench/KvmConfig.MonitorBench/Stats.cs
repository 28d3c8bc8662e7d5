using System.Globalization;

namespace KvmConfig.MonitorBench;

/// <summary>Median, 90th percentile and maximum of a series of measurements.</summary>
/// <remarks>
/// The percentile is the nearest-rank one: the smallest value with at least 90 % of the values at or below it
/// (<c>sorted[ceil(0.9 n) - 1]</c>), always a measured value. Of 15 rounds that is the 14th smallest, of 50 the 45th.
/// </remarks>
internal readonly record struct Summary(double Median, double P90, double Max, int Count)
{
    public static Summary Of(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        if (sorted.Length == 0)
        {
            return new Summary(double.NaN, double.NaN, double.NaN, 0);
        }

        int mid = sorted.Length / 2;
        double median = sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        double p90 = sorted[(int)Math.Ceiling(0.9 * sorted.Length) - 1];
        return new Summary(median, p90, sorted[^1], sorted.Length);
    }
}

/// <summary>Number formats of the printed tables (invariant culture).</summary>
internal static class Format
{
    public static string Ms(double ms) => ms.ToString(ms < 10 ? "F2" : "F1", CultureInfo.InvariantCulture) + " ms";

    public static string Bytes(double bytes) => bytes switch
    {
        >= 1 << 30 => (bytes / (1 << 30)).ToString("F2", CultureInfo.InvariantCulture) + " GiB",
        >= 1 << 20 => (bytes / (1 << 20)).ToString("F1", CultureInfo.InvariantCulture) + " MiB",
        >= 1 << 10 => (bytes / (1 << 10)).ToString("F1", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString("F0", CultureInfo.InvariantCulture) + " B",
    };

    public static string MiB(double kib) => (kib / 1024).ToString("F1", CultureInfo.InvariantCulture) + " MiB";
}
