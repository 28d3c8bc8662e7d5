using System.Text;
using KvmConfig.Config.Syntax;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Topology;
using KvmConfig.TestSupport;

namespace KvmConfig.Config.Tests;

/// <summary>
/// Reading <c>/etc/kvmconfig.d</c> as sysctl.d is read: every <c>*.conf</c> in lexical order, other files
/// ignored, StrictModes-style refusal of writable files, strict UTF-8. Environment failures are
/// <see cref="KvmConfigException"/>s; a file's contents are never an exception.
/// </summary>
public sealed class ConfigDirectoryReaderTests
{
    private const UnixFileMode Mode0644 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode Mode0755 = Mode0644 | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    private static string Names(ConfigSource source) => string.Join(",", source.Documents.Select(d => Path.GetFileName(d.Path)));

    /// <summary>Rows: description, file names as created, the order they are read in.</summary>
    public static TheoryData<string, string, string> Orders => new()
    {
        { "10-a.conf comes after 09-z.conf", "10-a.conf,09-z.conf", "09-z.conf,10-a.conf" },
        { "00-cpu.conf comes before 00-vm1.conf, so the host policy is read first", "00-vm1.conf,00-cpu.conf", "00-cpu.conf,00-vm1.conf" },
        { "lexical, not numeric: 10- before 2-, as sysctl.d does", "2-b.conf,10-a.conf", "10-a.conf,2-b.conf" },
        { "ordinal: upper case before lower case", "b.conf,B.conf,a.conf", "B.conf,a.conf,b.conf" },
        { "a longer name after its prefix", "00-vm10.conf,00-vm1.conf", "00-vm1.conf,00-vm10.conf" },
    };

    [Theory]
    [MemberData(nameof(Orders))]
    public void Reads_conf_files_in_lexical_order(string description, string created, string expected)
    {
        using var dir = new ConfigDir();
        foreach (string name in created.Split(','))
        {
            dir.Write(name, "# " + name + "\n");
        }

        ConfigSource source = new ConfigDirectoryReader(dir.Dir).Read();

        Expect.Equal(description, expected, Names(source));
        Assert.Empty(source.Diagnostics);
    }

    /// <summary>Rows: description, a file name that is not read (its contents would be an error if it were).</summary>
    public static TheoryData<string, string> Ignored => new()
    {
        { "a README", "README" },
        { "a backup copy", "00-cpu.conf.bak" },
        { "an editor's backup", "00-cpu.conf~" },
        { "a vim swap file", ".00-cpu.conf.swp" },
        { "a dpkg leftover", "00-cpu.conf.dpkg-old" },
        { "upper-case .CONF is not .conf", "50-X.CONF" },
        { "a name that only contains .conf", "50-x.conf.d" },
    };

    [Theory]
    [MemberData(nameof(Ignored))]
    public void Ignores_files_that_are_not_conf(string description, string name)
    {
        using var dir = new ConfigDir(("00-cpu.conf", "smt = isolate\n"));
        dir.Write(name, "this is not a config file\n[broken\n");

        ConfigSource source = new ConfigDirectoryReader(dir.Dir).Read();

        Expect.Equal(description, "00-cpu.conf", Names(source));
        Expect.Equal(description, "", ConfigText.Render(source.Diagnostics));
    }

    [Fact]
    public void A_subdirectory_named_like_a_conf_file_is_KVC093_rather_than_a_vm_that_silently_vanishes()
    {
        // Given 10-x.conf made a directory (an editor's backup dir, a misplaced mkdir) holding the VM's real file
        using var dir = new ConfigDir(("00-cpu.conf", "smt = isolate\n"));
        string misnamed = Path.Combine(dir.Dir, "10-x.conf");
        Directory.CreateDirectory(misnamed);
        File.WriteAllText(Path.Combine(misnamed, "10-x.conf"), "cpus = 1-2\n");

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => new ConfigDirectoryReader(dir.Dir).Read());

        Assert.Equal(Rules.Unreadable, e.Descriptor);
        Assert.Equal(misnamed, e.Path);
        Assert.Equal($"{misnamed} is a directory, not a *.conf file: whatever it was meant to declare would be skipped", e.Message);
        Assert.Contains("rename it so it does not end in .conf", e.Hint, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, "in a loop (too many levels of symbolic links)")]
    [InlineData(false, "to /nonexistent-kvmconfig-dir, which does not exist")]
    public void A_config_directory_link_that_leads_nowhere_says_so(bool loop, string problem)
    {
        string root = Directory.CreateTempSubdirectory("kvmconfig-links-").FullName;
        try
        {
            string link = Path.Combine(root, "kvmconfig.d");
            if (loop)
            {
                File.CreateSymbolicLink(link, Path.Combine(root, "other"));
                File.CreateSymbolicLink(Path.Combine(root, "other"), link);
            }
            else
            {
                File.CreateSymbolicLink(link, "/nonexistent-kvmconfig-dir");
            }

            KvmConfigException e = Assert.Throws<KvmConfigException>(() => new ConfigDirectoryReader(link).Read());

            Assert.Equal(Rules.NoDirectory, e.Descriptor);
            Assert.Equal($"{link} is a symbolic link {problem}, not a configuration directory", e.Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Parses_each_file_with_its_full_path()
    {
        using var dir = new ConfigDir(("00-cpu.conf", "smt = isolate\n"), ("00-vm1.conf", "cpus=1-4\n"));

        ConfigSource source = new ConfigDirectoryReader(dir.Dir).Read();

        Assert.Equal(dir.Dir, source.Directory);
        Assert.Equal(Path.Combine(dir.Dir, "00-vm1.conf"), source.Documents[1].Path);
        Assert.Equal("[host]*: smt=isolate", ConfigText.Render(source.Documents[0]));
        Assert.Equal("[vm vm1]*: cpus=1-4", ConfigText.Render(source.Documents[1]));
    }

    [Fact]
    public void Syntax_errors_of_every_file_come_back_together_in_file_order()
    {
        using var dir = new ConfigDir(("20-b.conf", "[vm b]\nbroken\n"), ("10-a.conf", "[vmm a]\n"));

        ConfigSource source = new ConfigDirectoryReader(dir.Dir).Read();

        Assert.Equal("KVC005 error 10-a.conf:1:2+3 | KVC002 error 20-b.conf:2:1+6", ConfigText.Render(source.Diagnostics));
    }

    [Fact]
    public void A_dangling_symlink_is_KVC093_naming_the_file_not_a_raw_exception()
    {
        // Given 50-x.conf pointing at a file that was removed (a package uninstalled, a typo in ln -s)
        using var dir = new ConfigDir(("00-cpu.conf", "smt = isolate\n"));
        string link = Path.Combine(dir.Dir, "50-x.conf");
        File.CreateSymbolicLink(link, Path.Combine(dir.Dir, "gone", "x.conf"));

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => new ConfigDirectoryReader(dir.Dir).Read());

        Assert.Equal(Rules.Unreadable, e.Descriptor);
        Assert.Equal(link, e.Path);
        Assert.Contains(link, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_symlink_to_a_safe_file_is_read()
    {
        using var dir = new ConfigDir(("00-cpu.conf", "smt = isolate\n"));
        using var elsewhere = new ConfigDir(("shared.txt", "[vm web]\nvcpus = 2\n"));
        File.CreateSymbolicLink(Path.Combine(dir.Dir, "50-web.conf"), Path.Combine(elsewhere.Dir, "shared.txt"));

        ConfigSource source = new ConfigDirectoryReader(dir.Dir).Read();

        Assert.Equal("00-cpu.conf,50-web.conf", Names(source));
        Assert.Equal("[vm web]: vcpus=2", ConfigText.Render(source.Documents[1]));
    }

    [Fact]
    public void A_missing_directory_is_KVC090_naming_the_path()
    {
        using var parent = new ConfigDir();
        string missing = Path.Combine(parent.Dir, "kvmconfig.d");

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => new ConfigDirectoryReader(missing).Read());

        Assert.Equal(Rules.NoDirectory, e.Descriptor);
        Assert.Equal("KVC090", e.Descriptor.Code);
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
        Assert.Equal(missing, e.Path);
        Assert.Contains("--config-dir", e.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_given_as_the_directory_is_KVC090_naming_the_path()
    {
        using var dir = new ConfigDir(("00-cpu.conf", "smt = isolate\n"));
        string file = Path.Combine(dir.Dir, "00-cpu.conf");

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => new ConfigDirectoryReader(file).Read());

        Assert.Equal(Rules.NoDirectory, e.Descriptor);
        Assert.Equal($"{file} is a file, not a configuration directory", e.Message);
        Assert.Equal(file, e.Path);
    }

    /// <summary>Rows: description, what to loosen (the directory or its file), its mode, who the message blames.</summary>
    public static TheoryData<string, bool, int, string> Unsafe => new()
    {
        { "a group-writable directory", true, 0b111_111_101, "its group" },
        { "an other-writable directory", true, 0b111_101_111, "others" },
        { "a world-writable directory", true, 0b111_111_111, "group and others" },
        { "a group-writable file", false, 0b110_110_100, "its group" },
        { "an other-writable file", false, 0b110_100_110, "others" },
    };

    [Theory]
    [MemberData(nameof(Unsafe))]
    public void Refuses_what_group_or_others_may_write(string description, bool directory, int mode, string who)
    {
        // Given a directory with one good file, then the directory or the file made writable by others
        using var dir = new ConfigDir(("00-cpu.conf", "smt = isolate\n"));
        string path = directory ? dir.Dir : Path.Combine(dir.Dir, "00-cpu.conf");
        File.SetUnixFileMode(path, (UnixFileMode)mode);

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => new ConfigDirectoryReader(dir.Dir).Read());

        Assert.Equal(Rules.UnsafePermissions, e.Descriptor);
        Assert.Equal("KVC091", e.Descriptor.Code);
        Expect.Equal(description, $"chmod go-w {path}", e.Hint ?? "");
        Expect.Equal(description, path, e.Path ?? "");
        Expect.Contains(description, $"{(directory ? "directory" : "file")} {path} is writable by {who} (mode 0{Convert.ToString(mode, 8)})", e.Message);
    }

    /// <summary>Rows: description, a mode that is safe for the file.</summary>
    public static TheoryData<string, int> SafeFileModes => new()
    {
        { "owner read-write only", 0b110_000_000 },
        { "read-only for everyone", 0b100_100_100 },
        { "the usual 0644", 0b110_100_100 },
    };

    [Theory]
    [MemberData(nameof(SafeFileModes))]
    public void Accepts_files_only_their_owner_may_write(string description, int mode)
    {
        using var dir = new ConfigDir(("00-cpu.conf", "smt = isolate\n"));
        File.SetUnixFileMode(Path.Combine(dir.Dir, "00-cpu.conf"), (UnixFileMode)mode);

        ConfigSource source = new ConfigDirectoryReader(dir.Dir).Read();

        Expect.Equal(description, "00-cpu.conf", Names(source));
    }

    [Fact]
    public void A_writable_file_that_is_not_conf_is_not_checked()
    {
        using var dir = new ConfigDir(("00-cpu.conf", "smt = isolate\n"));
        string readme = dir.Write("README", "notes\n");
        File.SetUnixFileMode(readme, Mode0644 | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite);

        ConfigSource source = new ConfigDirectoryReader(dir.Dir).Read();

        Assert.Equal("00-cpu.conf", Names(source));
    }

    /// <summary>Rows: description, the file's bytes (as Latin-1 text, one char per byte), line and column of the bad byte.</summary>
    public static TheoryData<string, string, int, int> NotUtf8 => new()
    {
        { "a Latin-1 é in a value", "[host]\ncpuset = 1\n[vm caf\u00e9]\n", 3, 8 },
        { "the very first byte", "\u00ff[host]\n", 1, 1 },
        { "columns count characters, not bytes: after a UTF-8 ü", "# na\u00c3\u00afve\n[vm a]\ngroup = \u00c3\u00bc\u00b5\n", 3, 10 },
        { "after CRLF line ends", "[host]\r\nsmt = isolate\r\n\u00b5\r\n", 3, 1 },
        { "a truncated sequence at the end of the file", "[host]\nsmt = isolate\n\u00c3", 3, 1 },
    };

    [Theory]
    [MemberData(nameof(NotUtf8))]
    public void A_file_that_is_not_UTF8_is_KVC001_at_the_bad_byte_and_the_others_are_still_read(string description, string latin1, int line, int column)
    {
        using var dir = new ConfigDir(("00-cpu.conf", "smt = isolate\n"), ("20-web.conf", "[vm web]\nvcpus = 2\n"));
        string bad = dir.WriteBytes("10-bad.conf", Encoding.Latin1.GetBytes(latin1));

        ConfigSource source = new ConfigDirectoryReader(dir.Dir).Read();

        Diagnostic d = Assert.Single(source.Diagnostics);
        Assert.Equal(Rules.NotUtf8, d.Descriptor);
        Expect.Equal(description, $"10-bad.conf:{line}:{column}+1", ConfigText.Render(d.Span));
        Expect.Contains(description, $"at line {line}, column {column}", d.Message);
        Expect.Contains(description, $"iconv -f latin1 -t utf-8 {bad}", d.Hint);
        // The bad file is kept for display only (its lines, for the carets); it declares nothing.
        Expect.Equal(description, "00-cpu.conf,10-bad.conf,20-web.conf", Names(source));
        Assert.Empty(source.Documents.Single(doc => doc.Path == bad).Sections);
        Assert.Contains('\uFFFD', source.Documents.Single(doc => doc.Path == bad).Lines[line - 1]);
    }

    [Fact]
    public void The_not_UTF8_message_names_the_byte()
    {
        using var dir = new ConfigDir();
        dir.WriteBytes("00-cpu.conf", Encoding.Latin1.GetBytes("smt = isolate # \u00b5\n"));

        Diagnostic d = Assert.Single(new ConfigDirectoryReader(dir.Dir).Read().Diagnostics);

        Assert.Contains("is not valid UTF-8: byte 0xb5 at line 1, column 17", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_UTF8_BOM_is_accepted_and_takes_no_column()
    {
        using var dir = new ConfigDir();
        byte[] text = Encoding.UTF8.GetBytes("cpus=1-4\n# caf\u00e9\n");
        dir.WriteBytes("00-vm1.conf", [0xEF, 0xBB, 0xBF, .. text]);

        ConfigSource source = new ConfigDirectoryReader(dir.Dir).Read();

        Assert.Empty(source.Diagnostics);
        ConfigDocument document = Assert.Single(source.Documents);
        Assert.Equal("[vm vm1]*: cpus=1-4", ConfigText.Render(document));
        Assert.Equal("00-vm1.conf:1:1+4", ConfigText.Render(document.Sections[0].Entries[0].KeySpan));
        Assert.Equal("cpus=1-4", document.Lines[0]);
    }

    [Fact]
    public void A_BOM_before_a_header_still_makes_it_a_header()
    {
        using var dir = new ConfigDir();
        dir.WriteBytes("50-x.conf", [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("[host]\nsmt = isolate\n")]);

        ConfigSource source = new ConfigDirectoryReader(dir.Dir).Read();

        Assert.Empty(source.Diagnostics);
        Assert.Equal("[host]: smt=isolate", ConfigText.Render(Assert.Single(source.Documents)));
    }

    /// <summary>Rows: description, files present (none of them *.conf).</summary>
    public static TheoryData<string, string> Empty => new()
    {
        { "an empty directory", "" },
        { "only a README and a backup", "README,00-cpu.conf.bak" },
    };

    [Theory]
    [MemberData(nameof(Empty))]
    public void A_directory_without_conf_files_is_KVC008(string description, string files)
    {
        using var dir = new ConfigDir();
        foreach (string name in files.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            dir.Write(name, "cpus = 1\n");
        }

        ConfigSource source = new ConfigDirectoryReader(dir.Dir).Read();

        Diagnostic d = Assert.Single(source.Diagnostics);
        Expect.Equal(description, "KVC008 error (nowhere)", ConfigText.Render(d));
        Expect.Contains(description, dir.Dir, d.Message);
        Assert.Empty(source.Documents);
    }

    [Fact]
    public void The_safe_modes_of_the_test_helper_are_the_ones_the_reader_accepts()
    {
        using var dir = new ConfigDir(("00-cpu.conf", "smt = isolate\n"));

        Assert.Equal(Mode0755, File.GetUnixFileMode(dir.Dir));
        Assert.Equal(Mode0644, File.GetUnixFileMode(Path.Combine(dir.Dir, "00-cpu.conf")));
    }

    [Fact]
    public void A_drop_in_symlinked_to_dev_null_is_masked_as_systemd_does()
    {
        // Given a vendor file and an administrator's mask of another one
        using var dir = new ConfigDir(("00-cpu.conf", "[host]\nsmt = isolate\n"));
        File.CreateSymbolicLink(Path.Combine(dir.Dir, "50-vm1.conf"), "/dev/null");

        // When the directory is read
        ConfigSource source = new ConfigDirectoryReader(dir.Dir).Read();

        // Then the masked file is skipped rather than refused for /dev/null's 0666 mode
        Assert.Equal("00-cpu.conf", Names(source));
        Assert.Empty(source.Diagnostics);
    }

    [Fact]
    public void A_fifo_named_conf_is_refused_instead_of_blocking_the_read()
    {
        // Given a FIFO among the drop-ins (reading it would wait forever for a writer)
        using var dir = new ConfigDir(("00-cpu.conf", "[host]\n"));
        string fifo = Path.Combine(dir.Dir, "50-pipe.conf");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", ["-m", "0644", fifo]))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        // When the directory is read, then it stops with KVC093 naming the FIFO
        KvmConfigException e = Assert.Throws<KvmConfigException>(() => new ConfigDirectoryReader(dir.Dir).Read());
        Assert.Equal(Rules.Unreadable, e.Descriptor);
        Assert.Contains($"{fifo} is not a regular file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_relative_link_to_dev_null_masks_too()
    {
        using var dir = new ConfigDir(("00-cpu.conf", "[host]\n"));
        string link = Path.Combine(dir.Dir, "50-vendor.conf");
        string up = string.Concat(Enumerable.Repeat("../", dir.Dir.Count(c => c == '/')));
        File.CreateSymbolicLink(link, up + "dev/null");

        ConfigSource source = new ConfigDirectoryReader(dir.Dir).Read();

        Assert.Equal("00-cpu.conf", Names(source));
    }

    [Fact]
    public void A_world_writable_fifo_is_refused_as_not_a_file_never_with_a_chmod_hint()
    {
        using var dir = new ConfigDir(("00-cpu.conf", "[host]\n"));
        string fifo = Path.Combine(dir.Dir, "50-pipe.conf");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", ["-m", "0666", fifo]))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => new ConfigDirectoryReader(dir.Dir).Read());

        Assert.Equal(Rules.Unreadable, e.Descriptor);
        Assert.DoesNotContain("chmod", e.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_utf16_file_gets_a_utf16_conversion_hint()
    {
        using var dir = new ConfigDir();
        string file = dir.WriteBytes("00-cpu.conf", [0xFF, 0xFE, .. Encoding.Unicode.GetBytes("[host]\r\n")]);

        Diagnostic d = Assert.Single(new ConfigDirectoryReader(dir.Dir).Read().Diagnostics);

        Assert.Equal(Rules.NotUtf8, d.Descriptor);
        Assert.Contains($"iconv -f utf-16 -t utf-8 {file}", d.Hint, StringComparison.Ordinal);
    }
}

/// <summary>Inputs big enough to exhaust memory once: a huge file, a file of endless duplicate keys.</summary>
public sealed class ConfigSizeLimitTests
{
    [Fact]
    public void A_conf_file_over_1_MiB_is_KVC093_before_it_is_read()
    {
        using var dir = new ConfigDir(("00-cpu.conf", "smt = isolate\n"));
        string big = dir.Write("20-big.conf", "# " + new string('x', 2 * 1024 * 1024) + "\n");
        long allocated = GC.GetAllocatedBytesForCurrentThread();

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => new ConfigDirectoryReader(dir.Dir).Read());

        Assert.Equal(Rules.Unreadable, e.Descriptor);
        Assert.Equal(big, e.Path);
        Assert.StartsWith($"{big} is {new FileInfo(big).Length} bytes; kvmconfig reads configuration files of at most 1024 KiB", e.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 1024 * 1024, "the file was read anyway");
    }

    [Fact]
    public void A_thousand_duplicate_keys_report_twenty_and_say_how_many_more()
    {
        // Given one VM whose file sets cpu_weight 1001 times: 1000 KVC013 duplicate-key warnings
        string text = "vcpus = 1\nmemory = 1G\n" + string.Concat(Enumerable.Range(0, 1001).Select(i => $"cpu_weight = {100 + i}\n"));
        using var dir = new ConfigDir(("00-cpu.conf", "reserved = 0\n"), ("20-web1.conf", text));
        HostTopology host = Captures.Host("desktop-1s-20cpu");

        CheckReport report = DeclarationCheck.Run(dir.Dir, host);

        Diagnostic[] duplicates = [.. report.Diagnostics.Where(d => d.Code == "KVC013")];
        Assert.Equal(DeclarationCheck.MostPerCodeAndFile, duplicates.Length);
        DiagnosticNote more = Assert.Single(duplicates[^1].Notes!, n => n.Message.StartsWith("and ", StringComparison.Ordinal));
        Assert.Equal($"and {1000 - DeclarationCheck.MostPerCodeAndFile} more KVC013 in {Path.Combine(dir.Dir, "20-web1.conf")}, not shown", more.Message);
        Assert.All(duplicates[..^1], d => Assert.DoesNotContain(d.Notes ?? [], n => n.Message.StartsWith("and ", StringComparison.Ordinal)));
    }
}
