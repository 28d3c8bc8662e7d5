using KvmConfig.PlannerBench;

// kvmconfig planner benchmark (docs/performance.md, issue 3 item 5):
//   dotnet run -c Release --project bench/KvmConfig.PlannerBench [-- --runs N --warmup N --seed S --mix fit|overload|all]
return Harness.Run(args);
