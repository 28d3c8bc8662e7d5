using System.Text.RegularExpressions;
using KvmConfig.Monitoring.History;
using KvmConfig.TestSupport;

namespace KvmConfig.UseCases.Tests;

/// <summary>
/// The shape the code keeps so that the next engineer can live in it: Monitoring reaches libvirt only through its
/// own interface, each project reports its failures from one file of factories, the commands stay thin, no file
/// grows past a readable size, and folders name namespaces.
/// </summary>
public sealed partial class LayoutTests
{
    private static readonly string Src = Path.Combine(TestData.RepositoryRoot, "src");

    private static readonly string[] CommandFolders = ["Apply", "Check", "Cluster", "Cost", "Doctor", "Export", "Plan", "Report", "Serve", "Status", "Top", "Topology", "Tune"];

    private static IEnumerable<string> Sources(string project = "") =>
        Directory.EnumerateFiles(Path.Combine(Src, project), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    private static string Relative(string file) => Path.GetRelativePath(Src, file);

    [Fact]
    public void Monitoring_does_not_reference_the_libvirt_binding()
    {
        string[] references = [.. typeof(HistoryStore).Assembly.GetReferencedAssemblies().Select(a => a.Name!)];

        Assert.Contains("KvmConfig.Core", references);
        Assert.DoesNotContain("KvmConfig.Libvirt", references);
    }

    [Fact]
    public void No_source_file_is_over_500_lines()
    {
        string[] long_ = [.. Sources().Where(f => File.ReadLines(f).Count() > 500).Select(Relative)];

        Assert.True(long_.Length == 0, $"over 500 lines: {string.Join(", ", long_)}");
    }

    [Fact]
    public void Every_command_file_is_under_150_lines_and_imports_no_other_command()
    {
        string[] commands = [.. Sources("KvmConfig.Cli").Where(f => f.EndsWith("Command.cs", StringComparison.Ordinal))];
        var offences = new List<string>();
        foreach (string file in commands)
        {
            string own = Path.GetFileName(Path.GetDirectoryName(file)!);
            int lines = File.ReadLines(file).Count();
            if (lines >= 150)
            {
                offences.Add($"{Relative(file)} has {lines} lines");
            }

            offences.AddRange(File.ReadLines(file)
                .Select(l => CliUsing().Match(l))
                .Where(m => m.Success && m.Groups[1].Value != own && CommandFolders.Contains(m.Groups[1].Value))
                .Select(m => $"{Relative(file)} imports KvmConfig.Cli.{m.Groups[1].Value}"));
        }

        // rollback shares apply's folder, cluster status cluster plan's, tco capacity's
        Assert.Equal(CommandFolders.Length + 3, commands.Length);
        Assert.True(offences.Count == 0, string.Join("\n", offences));
    }

    [Fact]
    public void Every_namespace_names_its_folder()
    {
        var offences = new List<string>();
        foreach (string file in Sources())
        {
            string relative = Path.GetDirectoryName(Relative(file))!;
            string expected = relative.Replace(Path.DirectorySeparatorChar, '.');
            Match declared = FileNamespace().Match(File.ReadAllText(file));
            bool topLevelProgram = Path.GetFileName(file) == "Program.cs" && !declared.Success;
            if (!topLevelProgram && (!declared.Success || declared.Groups[1].Value != expected))
            {
                offences.Add($"{Relative(file)}: namespace {(declared.Success ? declared.Groups[1].Value : "none")}, folder {expected}");
            }
        }

        Assert.True(offences.Count == 0, string.Join("\n", offences));
    }

    [Fact]
    public void Native_calls_live_in_one_interop_folder_per_library_and_failures_in_one_file_per_project()
    {
        string[] interop = [.. Directory.EnumerateDirectories(Src, "Interop", SearchOption.AllDirectories).Select(Relative).Order()];
        string[] nativeOutside = [.. Sources().Where(f => !Relative(f).Contains("Interop", StringComparison.Ordinal)
            && File.ReadAllText(f).Contains("[LibraryImport(", StringComparison.Ordinal)).Select(Relative)];
        string[] constructedOutside = [.. Sources().Where(f => !f.EndsWith("Errors.cs", StringComparison.Ordinal)
            && File.ReadAllText(f).Contains("new KvmConfigException(", StringComparison.Ordinal)).Select(Relative)];
        string[] errorFiles = [.. Sources().Where(f => f.EndsWith("Errors.cs", StringComparison.Ordinal)).Select(Relative).Order()];

        Assert.Equal([Path.Combine("KvmConfig.Libvirt", "Interop"), Path.Combine("KvmConfig.Linux", "Interop")], interop);
        Assert.Empty(nativeOutside);
        Assert.Empty(constructedOutside);
        Assert.Equal(
            ["KvmConfig.Cli/Infrastructure/CliErrors.cs", "KvmConfig.Config/ConfigErrors.cs", "KvmConfig.Libvirt/LibvirtErrors.cs", "KvmConfig.Linux/LinuxErrors.cs", "KvmConfig.Monitoring/MonitoringErrors.cs"],
            errorFiles);
    }

    [GeneratedRegex(@"^using KvmConfig\.Cli\.([A-Za-z]+)(?:\.|;)")]
    private static partial Regex CliUsing();

    [GeneratedRegex(@"(?m)^namespace ([A-Za-z.]+);")]
    private static partial Regex FileNamespace();
}
