// Manual pages and bash completion, generated from the same CLI11 definitions that --help
// prints, so that help, man and completion never disagree. The build runs
// `cairn --generate-man DIR` and `cairn --generate-bash-completion FILE`.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>

namespace cairn::cli {

// roff (man(7)) source of the page for `command` (the program itself or a subcommand at any
// depth), named e.g. cairn-backup-image(1).
std::string ManPage(const CLI::App& command);

// Writes man1/cairn.1, one man1/cairn-COMMAND[-SUB].1 per visible subcommand and
// man8/mount.cairn.8 into `directory`, which can then serve as a MANPATH entry.
// Throws Error(kIo).
void WriteManPages(const CLI::App& program, const std::filesystem::path& directory);

// A bash completion script for every visible subcommand and option of `program`.
std::string BashCompletion(const CLI::App& program);

}  // namespace cairn::cli
