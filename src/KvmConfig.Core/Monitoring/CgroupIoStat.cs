using System.Globalization;

namespace KvmConfig.Core.Monitoring;

/// <summary>
/// The I/O a domain's cgroup issued to one host block device: what reached the device from the domain's threads (QEMU
/// reading and writing its images, bypassing or filling the page cache), as the cgroup's I/O controller counts it.
/// </summary>
/// <param name="Major">Host device major number.</param>
/// <param name="Minor">Host device minor number.</param>
/// <param name="ReadBytes">Bytes read.</param>
/// <param name="WriteBytes">Bytes written.</param>
/// <param name="ReadOps">Read operations.</param>
/// <param name="WriteOps">Write operations.</param>
public sealed record CgroupIoDevice(int Major, int Minor, ulong ReadBytes, ulong WriteBytes, ulong ReadOps, ulong WriteOps)
{
    /// <summary>The device as <c>MAJ:MIN</c>, the way the cgroup files and <c>/proc/diskstats</c> number it.</summary>
    public string Device => $"{Major.ToString(CultureInfo.InvariantCulture)}:{Minor.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Parses cgroup v2's <c>io.stat</c>: one line per device, <c>MAJ:MIN key=value ...</c>, keys found by name
    /// (<c>rbytes wbytes rios wios</c>, then discards and, with some controllers, more). Throws
    /// <see cref="FormatException"/> naming the line when a device or a needed key is missing or not a number.
    /// </summary>
    public static IReadOnlyList<CgroupIoDevice> ParseV2(string text)
    {
        //   259:0 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0
        var devices = new List<CgroupIoDevice>();
        foreach ((int number, string line) in ProcText.Lines(text))
        {
            string[] f = ProcText.Fields(line);
            (int major, int minor) = DeviceNumber(f[0], number);
            var values = new Dictionary<string, ulong>(StringComparer.Ordinal);
            foreach (string pair in f.Skip(1))
            {
                int eq = pair.IndexOf('=');
                if (eq <= 0)
                {
                    throw new FormatException($"line {number}: '{ProcText.Shorten(pair)}' is not key=value");
                }

                values[pair[..eq]] = ProcText.Counter(pair.AsSpan(eq + 1), $"line {number} ({pair[..eq]})");
            }

            ulong Key(string key) => values.TryGetValue(key, out ulong v) ? v : throw new FormatException($"line {number}: no {key}=");
            devices.Add(new CgroupIoDevice(major, minor, Key("rbytes"), Key("wbytes"), Key("rios"), Key("wios")));
        }

        return devices;
    }

    /// <summary>
    /// Parses cgroup v1's <c>blkio.throttle.io_service_bytes</c> and <c>blkio.throttle.io_serviced</c> (or their
    /// <c>_recursive</c> forms): lines <c>MAJ:MIN Read|Write|Sync|Async|Discard|Total N</c> and a last <c>Total N</c>.
    /// A device in either file is in the result; throws <see cref="FormatException"/> naming the file and line.
    /// </summary>
    public static IReadOnlyList<CgroupIoDevice> ParseV1(string serviceBytes, string serviced)
    {
        //   8:0 Read 4096
        //   8:0 Write 1052672
        //   8:0 Sync 1056768
        //   8:0 Async 0
        //   8:0 Discard 0
        //   8:0 Total 1056768
        //   Total 1056768
        Dictionary<(int, int), (ulong Read, ulong Write)> bytes = ParseV1File(serviceBytes, "io_service_bytes");
        Dictionary<(int, int), (ulong Read, ulong Write)> ops = ParseV1File(serviced, "io_serviced");
        return [.. bytes.Keys.Union(ops.Keys).Order().Select(k =>
        {
            (ulong rb, ulong wb) = bytes.GetValueOrDefault(k);
            (ulong ro, ulong wo) = ops.GetValueOrDefault(k);
            return new CgroupIoDevice(k.Item1, k.Item2, rb, wb, ro, wo);
        })];
    }

    private static Dictionary<(int, int), (ulong Read, ulong Write)> ParseV1File(string text, string file)
    {
        var devices = new Dictionary<(int, int), (ulong Read, ulong Write)>();
        foreach ((int number, string line) in ProcText.Lines(text))
        {
            string[] f = ProcText.Fields(line);
            if (f.Length == 2 && f[0] == "Total")
            {
                continue;
            }

            if (f.Length != 3)
            {
                throw new FormatException($"{file} line {number}: '{ProcText.Shorten(line)}' is not MAJ:MIN OPERATION COUNT");
            }

            (int, int) device = DeviceNumber(f[0], number);
            ulong value = ProcText.Counter(f[2], $"{file} line {number} ({f[1]})");
            (ulong read, ulong write) = devices.GetValueOrDefault(device);
            devices[device] = f[1] switch
            {
                "Read" => (value, write),
                "Write" => (read, value),
                _ => (read, write),
            };
        }

        return devices;
    }

    private static (int Major, int Minor) DeviceNumber(string field, int line)
    {
        int colon = field.IndexOf(':');
        return colon > 0
            && int.TryParse(field.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out int major)
            && int.TryParse(field.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int minor)
                ? (major, minor)
                : throw new FormatException($"line {line}: expected a device MAJ:MIN, found '{ProcText.Shorten(field)}'");
    }
}
