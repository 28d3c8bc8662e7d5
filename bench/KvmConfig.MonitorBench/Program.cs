using KvmConfig.MonitorBench;

// Monitoring benchmark (docs/performance.md, "Monitoring (issue 5)"), one part per run, in Release:
//   dotnet run -c Release --project bench/KvmConfig.MonitorBench -- sweep --domains 20
//   dotnet run -c Release --project bench/KvmConfig.MonitorBench -- synthetic --domains 200 --vcpus 4
//   dotnet run -c Release --project bench/KvmConfig.MonitorBench -- serve-memory --domains 200 --days 7
// Exit code: 0 target met, 1 target missed, 2 the harness failed (or a usage error).
const string Usage = "usage: KvmConfig.MonitorBench sweep|synthetic|serve-memory [options]; each part's options are in bench/KvmConfig.MonitorBench/README.md";
#if DEBUG
Console.WriteLine("WARNING: Debug build; figures are not comparable. Run with -c Release.");
#endif
return args switch
{
    ["sweep", .. var rest] => SweepBench.Run(rest),
    ["synthetic", .. var rest] => SyntheticBench.Run(rest),
    ["serve-memory", .. var rest] => ServeMemoryBench.Run(rest),
    [ExporterChild.Mode, .. var rest] => await ExporterChild.RunAsync(rest),
    _ => Fail(),
};

static int Fail()
{
    Console.Error.WriteLine(Usage);
    return 2;
}
