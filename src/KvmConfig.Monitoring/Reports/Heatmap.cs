namespace KvmConfig.Monitoring.Reports;

/// <summary>One row of a <see cref="Heatmap"/>: a domain and its value in each time column.</summary>
/// <param name="Name">The domain.</param>
/// <param name="Cells">Per column, oldest first, the highest value of the sweeps in it; null when none measured it.</param>
public sealed record HeatmapRow(string Name, IReadOnlyList<double?> Cells);

/// <summary>
/// A figure per domain over time as a grid: domains as rows, equal spans of time as columns, each cell the highest
/// value of its span (as <see cref="Downsample"/> keeps the highest point of a bucket, so a single bad sweep still
/// colours its cell). The renderer colours cells by <see cref="Thresholds"/>.
/// </summary>
/// <param name="Id">A stable identifier (<c>ready</c>), for the HTML and tests.</param>
/// <param name="Title">Its title.</param>
/// <param name="From">The start of the first column (the first sweep).</param>
/// <param name="To">The end of the last column (the last sweep, which falls in it).</param>
/// <param name="Columns">How many columns.</param>
/// <param name="Rows">The rows, in the order of <see cref="HistoryReport.Domains"/> (worst first).</param>
/// <param name="Thresholds">The warning and critical thresholds the cells are coloured by.</param>
public sealed record Heatmap(string Id, string Title, DateTimeOffset From, DateTimeOffset To, int Columns, IReadOnlyList<HeatmapRow> Rows, IReadOnlyList<ThresholdLine> Thresholds)
{
    /// <summary>The span of time of one column.</summary>
    public TimeSpan ColumnWidth => (To - From) / Columns;

    /// <summary>The start of column <paramref name="column"/>.</summary>
    public DateTimeOffset ColumnStart(int column) => From + (ColumnWidth * column);
}

/// <summary>
/// One heatmap row built point by point, oldest first, in memory bounded by its columns: column c holds
/// [from + c x span / columns, from + (c + 1) x span / columns), the end of the range falls in the last one (as
/// <see cref="Downsample"/> cuts its buckets).
/// </summary>
public sealed class HeatmapCells
{
    private readonly DateTimeOffset _from;
    private readonly double _spanMs;
    private readonly double?[] _cells;

    /// <summary>A row over <paramref name="from"/>..<paramref name="to"/> of <paramref name="columns"/> cells.</summary>
    public HeatmapCells(DateTimeOffset from, DateTimeOffset to, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        _from = from;
        _spanMs = Math.Max(1, (to - from).TotalMilliseconds);
        _cells = new double?[columns];
    }

    /// <summary>The cells, oldest first.</summary>
    public IReadOnlyList<double?> Cells => _cells;

    /// <summary>Takes a point; its column keeps the highest value.</summary>
    public void Add(ChartPoint point)
    {
        int c = Math.Clamp((int)((point.At - _from).TotalMilliseconds / _spanMs * _cells.Length), 0, _cells.Length - 1);
        _cells[c] = Math.Max(_cells[c] ?? double.NegativeInfinity, point.Value);
    }
}
