using KvmConfig.ApplyBench;

// kvmconfig apply benchmark (docs/performance.md, issue 4 item 9), on the real daemon at qemu:///system:
//   dotnet run -c Release --project bench/KvmConfig.ApplyBench [-- --domains N --runs N --seed S --keep --no-reads]
// Defines and starts N (50) tiny kvmcb-NN domains, measures, and destroys and undefines them again, even on failure.
return Harness.Run(args);
