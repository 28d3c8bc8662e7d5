using KvmConfig.Bench;

// kvmconfig scale benchmark (docs/performance.md):
//   dotnet run -c Release --project bench/KvmConfig.Bench [-- --vms N --runs N --seed S --keep]
// The harness re-invokes itself as `--measure MODE DIR SYSROOT`, one child process per measurement.
if (args is ["--measure", string mode, string directory, string sysRoot])
{
    return Measurement.Run(mode, directory, sysRoot);
}

return Harness.Run(args);
