using System.Globalization;
using ActorSync.Cli;
using ActorSync.Tooling;
using ScottPlot;

namespace ActorSync.Lab;

/// <summary>The eval's PNG plots, one per thesis figure that the runs cover; a figure with nothing to vary is skipped.</summary>
public static class EvalPlots
{
    public static IReadOnlyList<string> Write(string folder, IReadOnlyList<EvalCommand.Row> rows)
    {
        var written = new List<string>();
        var modes = rows.Select(r => r.Mode).Distinct().ToArray();
        var unshaped = rows.Where(r => r.LatencyMillis == rows.Min(x => x.LatencyMillis)).ToList();

        // Figures 5.1–5.7: sync time against N, one plot per (K, r), a line per mode.
        foreach (var pair in unshaped.GroupBy(r => (r.K, r.R)).Where(g => g.Select(r => r.Batches).Distinct().Count() > 1))
            written.Add(Lines(folder, $"sync-time-K{pair.Key.K}-r{pair.Key.R}.png", $"Sync time, K = {pair.Key.K}, r = {pair.Key.R}", "N (batches)", "sync ms",
                modes.Select(m => (m, pair.Where(r => r.Mode == m).OrderBy(r => r.Batches).Select(r => ((double)r.Batches, (double)r.CycleMillis)).ToArray()))));

        // Figure 5.11: sync time as the source link's latency grows, per (K, r, η).
        foreach (var point in rows.GroupBy(r => (r.K, r.R, r.Eta)).Where(g => g.Select(r => r.LatencyMillis).Distinct().Count() > 1))
            written.Add(Lines(folder, $"latency-K{point.Key.K}-r{point.Key.R}-eta{point.Key.Eta}.png",
                $"Sync time against source-link latency, K = {point.Key.K}, r = {point.Key.R}, η = {point.Key.Eta}", "added latency (ms)", "sync ms",
                modes.Select(m => (m, point.Where(r => r.Mode == m).OrderBy(r => r.LatencyMillis).Select(r => ((double)r.LatencyMillis, (double)r.CycleMillis)).ToArray()))));

        // Figure 5.8 and figures 5.9–5.10: source packets, CPU and peak memory by mode, averaged over the unshaped runs.
        written.Add(Bars(folder, "source-packets-by-mode.png", "Source → relay packets per sync (mean)", "packets", modes, m => unshaped.Where(r => r.Mode == m).Average(r => (double)r.SourcePackets)));
        written.Add(Bars(folder, "cpu-by-mode.png", "CPU of all members during the sync (mean)", "CPU ms", modes, m => unshaped.Where(r => r.Mode == m).Average(r => (double)r.CpuMillis)));
        written.Add(Bars(folder, "memory-by-mode.png", "Peak working set of the largest member (mean)", "MiB", modes, m => unshaped.Where(r => r.Mode == m).Average(r => (double)r.PeakMemberMiB)));
        return written;
    }

    private static string Lines(string folder, string file, string title, string x, string y, IEnumerable<(string Mode, (double X, double Y)[] Points)> series)
    {
        var plot = new Plot();
        foreach (var (mode, points) in series.Where(s => s.Points.Length > 0))
        {
            var line = plot.Add.Scatter(points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray());
            line.LegendText = mode;
        }
        return Save(plot, folder, file, title, x, y);
    }

    private static string Bars(string folder, string file, string title, string y, string[] modes, Func<string, double> value)
    {
        var plot = new Plot();
        var bars = modes.Select((m, i) => new Bar { Position = i, Value = value(m) }).ToArray();
        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks(modes.Select((_, i) => (double)i).ToArray(), modes);
        plot.Axes.Margins(bottom: 0);
        return Save(plot, folder, file, title, "mode", y);
    }

    private static string Save(Plot plot, string folder, string file, string title, string x, string y)
    {
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(y);
        if (plot.GetPlottables().Any(p => p is ScottPlot.Plottables.Scatter)) plot.ShowLegend();
        var path = Path.Combine(folder, file);
        plot.SavePng(path, 800, 500);
        return path;
    }
}
