using KvmConfig.Cli;

return KvmConfigApp.Run(args);
