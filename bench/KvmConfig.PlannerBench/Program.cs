using KvmConfig.PlannerBench;

// kvmconfig planner benchmark (docs/performance.md, issue 3 item 5):
//   dotnet run -c Release --project bench/KvmConfig.PlannerBench [-- --runs N --warmup N --seed S --mix fit|tight|odd|overload|all --arrival-runs N]
// Batch mode (whole declaration, largest first) carries the 5 ms target and the exit code; arrival and churn modes
// (one VM at a time, unsorted; see Arrival.cs) are reported beside it.
return Harness.Run(args);
