using System.Globalization;
using System.Text;

namespace KvmConfig.Core.Monitoring;

/// <summary>
/// One task's scheduler counters from <c>/proc/PID/task/TID/schedstat</c> (or <c>/proc/PID/schedstat</c>, the
/// same three numbers for the thread-group leader). All three only grow while the task lives.
/// </summary>
/// <param name="RunNs">Time spent running on a CPU, in nanoseconds (<c>se.sum_exec_runtime</c>).</param>
/// <param name="WaitNs">
/// Time spent runnable but waiting on a run queue, in nanoseconds (<c>sched_info.run_delay</c>). For a vCPU thread
/// this is CPU ready: the guest sees it as steal time.
/// </param>
/// <param name="Timeslices">How many times the task was put on a CPU (<c>sched_info.pcount</c>).</param>
public readonly record struct TaskSchedstat(ulong RunNs, ulong WaitNs, ulong Timeslices)
{
    /// <summary>
    /// Parses the text of a schedstat file. Throws <see cref="FormatException"/> saying what is wrong when it is not
    /// one line of three unsigned numbers. A kernel built without <c>CONFIG_SCHED_INFO</c> (or booted with
    /// schedstats off on old kernels) writes <c>0 0 0</c>, which parses: the rates are then simply zero.
    /// </summary>
    public static TaskSchedstat Parse(ReadOnlySpan<char> text)
    {
        // kernel/fs/proc/base.c proc_pid_schedstat(): "%llu %llu %lu\n"
        //
        //   411605849 93680043 79
        //   1         2        3
        //
        //   1 run time (ns)   2 run-queue wait (ns)   3 timeslices run on this CPU
        string line = text.Trim().ToString();
        if (line.Length == 0)
        {
            throw new FormatException("empty: expected 'run_ns wait_ns timeslices' (three unsigned numbers on one line)");
        }

        if (line.Contains('\n'))
        {
            throw new FormatException(
                $"{line.Split('\n').Length} lines: expected one line 'run_ns wait_ns timeslices', starting '{ProcText.Shorten(line.Split('\n')[0])}'");
        }

        string[] fields = ProcText.Fields(line);
        if (fields.Length != 3)
        {
            throw new FormatException(
                $"{fields.Length} fields in '{ProcText.Shorten(line)}': expected 3 (run_ns wait_ns timeslices)");
        }

        return new TaskSchedstat(
            ProcText.Counter(fields[0], "field 1 (run time, ns)"),
            ProcText.Counter(fields[1], "field 2 (run-queue wait, ns)"),
            ProcText.Counter(fields[2], "field 3 (timeslices)"));
    }

    /// <summary>
    /// Parses the bytes of a schedstat file as read from it (ASCII), without making a string of a well-formed line: the
    /// form for a sampler that re-reads one handle every sweep. Anything but <c>N N N</c> with an optional newline is
    /// handed to <see cref="Parse(ReadOnlySpan{char})"/>, so that it accepts and refuses the same files with the same
    /// words.
    /// </summary>
    public static TaskSchedstat Parse(ReadOnlySpan<byte> utf8)
    {
        ReadOnlySpan<byte> rest = utf8.TrimEnd("\n"u8);
        return NextCounter(ref rest, out ulong run)
            && NextCounter(ref rest, out ulong wait)
            && NextCounter(ref rest, out ulong timeslices)
            && rest.IsEmpty
            ? new TaskSchedstat(run, wait, timeslices)
            : Parse(Encoding.UTF8.GetString(utf8));

        // One field of digits after at most one space, as the kernel's "%llu %llu %lu" writes them.
        static bool NextCounter(ref ReadOnlySpan<byte> text, out ulong value)
        {
            if (text.Length > 0 && text[0] == (byte)' ')
            {
                text = text[1..];
            }

            int end = text.IndexOf((byte)' ');
            end = end < 0 ? text.Length : end;
            value = 0;
            bool parsed = end > 0 && ulong.TryParse(text[..end], NumberStyles.None, CultureInfo.InvariantCulture, out value);
            text = text[end..];
            return parsed;
        }
    }
}
