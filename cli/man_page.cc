#include "cli/man_page.h"

#include <sstream>

#include "core/util/file.h"

namespace cairn::cli {
namespace {

// The command words from the program down to `command`: {"cairn", "backup", "image"}.
std::vector<std::string> CommandPath(const CLI::App& command) {
  std::vector<std::string> words;
  for (const CLI::App* app = &command; app != nullptr; app = app->get_parent()) words.insert(words.begin(), app->get_name());
  return words;
}

std::string Join(const std::vector<std::string>& words, const std::string& separator) {
  std::string out;
  for (const std::string& word : words) out += (out.empty() ? "" : separator) + word;
  return out;
}

// Text safe in roff: a leading '.' or '\'' would be a request, '\' an escape, '-' a hyphen.
std::string Roff(const std::string& text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out += c;
    line_start = c == '\n';
  }
  return out;
}

std::vector<const CLI::App*> VisibleSubcommands(const CLI::App& command) {
  return command.get_subcommands([](const CLI::App* sub) { return !sub->get_group().empty() && !sub->get_name().empty(); });
}

std::vector<const CLI::Option*> VisibleOptions(const CLI::App& command, bool positional) {
  return command.get_options([positional](const CLI::Option* option) {
    return !option->get_group().empty() && option->get_positional() == positional && option->nonpositional() != positional;
  });
}

std::string OptionNames(const CLI::Option& option) {
  std::vector<std::string> names;
  for (const std::string& name : option.get_snames()) names.push_back("-" + name);
  for (const std::string& name : option.get_lnames()) names.push_back("--" + name);
  return Join(names, ", ");
}

bool TakesValue(const CLI::Option& option) { return option.get_type_size_max() > 0; }

}  // namespace

std::string ManPage(const CLI::App& command) {
  std::vector<std::string> path = CommandPath(command);
  std::ostringstream page;
  page << ".TH " << Roff(Join(path, "-")) << " 1 \"\" \"cairn " << CAIRN_VERSION << "\" \"cairn manual\"\n";
  page << ".SH NAME\n" << Roff(Join(path, "-")) << " \\- " << Roff(command.get_description()) << "\n";

  page << ".SH SYNOPSIS\n.B " << Roff(Join(path, " ")) << "\n";
  if (!VisibleOptions(command, false).empty()) page << "[\\fIOPTIONS\\fR]\n";
  for (const CLI::Option* positional : VisibleOptions(command, true)) {
    std::string name = positional->get_name(true);
    page << (positional->get_required() ? "\\fI" + Roff(name) + "\\fR" : "[\\fI" + Roff(name) + "\\fR]")
         << (positional->get_items_expected_max() > 1 ? "..." : "") << "\n";
  }
  if (!VisibleSubcommands(command).empty()) page << "\\fICOMMAND\\fR ...\n";

  page << ".SH DESCRIPTION\n" << Roff(command.get_description()) << ".\n";
  if (!command.get_footer().empty()) page << ".PP\n" << Roff(command.get_footer()) << "\n";

  if (std::vector<const CLI::App*> subs = VisibleSubcommands(command); !subs.empty()) {
    page << ".SH COMMANDS\n";
    for (const CLI::App* sub : subs) {
      page << ".TP\n.B " << Roff(sub->get_name()) << "\n" << Roff(sub->get_description())
           << ". See \\fB" << Roff(Join(CommandPath(*sub), "-")) << "\\fR(1).\n";
    }
  }
  if (std::vector<const CLI::Option*> positionals = VisibleOptions(command, true); !positionals.empty()) {
    page << ".SH ARGUMENTS\n";
    for (const CLI::Option* positional : positionals) {
      page << ".TP\n.I " << Roff(positional->get_name(true)) << "\n" << Roff(positional->get_description()) << "\n";
    }
  }
  if (std::vector<const CLI::Option*> options = VisibleOptions(command, false); !options.empty()) {
    page << ".SH OPTIONS\n";
    for (const CLI::Option* option : options) {
      page << ".TP\n.B " << Roff(OptionNames(*option));
      if (TakesValue(*option)) page << " \\fI" << Roff(option->get_type_name()) << "\\fR";
      page << "\n" << Roff(option->get_description());
      if (!option->get_default_str().empty()) page << " (default: " << Roff(option->get_default_str()) << ")";
      if (!option->get_envname().empty()) page << " (environment: " << Roff(option->get_envname()) << ")";
      page << "\n";
    }
  }
  if (command.get_parent() == nullptr) {
    page << ".SH FILES\n.TP\n.I /etc/cairn/cairn.conf\n"
            "Defaults for every command ([COMMAND] sections keyed by long option name) and named datastores "
            "([datastore.NAME] with path, keyfile, mountpoint, mount\\-options); see the README.\n";
  }
  page << ".SH SEE ALSO\n";
  std::vector<std::string> see_also;
  if (const CLI::App* parent = command.get_parent(); parent != nullptr) see_also.push_back("\\fB" + Roff(Join(CommandPath(*parent), "-")) + "\\fR(1)");
  for (const CLI::App* sub : VisibleSubcommands(command)) see_also.push_back("\\fB" + Roff(Join(CommandPath(*sub), "-")) + "\\fR(1)");
  page << Join(see_also, ",\n") << (see_also.empty() ? "" : ",\n") << "\\fBmount.cairn\\fR(8) is \\fBcairn mount\\fR for mount(8) and fstab.\n";
  return page.str();
}

namespace {

// mount.cairn(8): the mount helper has no CLI11 definition of its own (cli/mount_helper.h).
std::string MountHelperManPage() {
  return std::string(".TH MOUNT.CAIRN 8 \"\" \"cairn ") + CAIRN_VERSION + "\" \"cairn manual\"\n" +
         ".SH NAME\nmount.cairn \\- mount a backup datastore with mount(8) or /etc/fstab\n"
         ".SH SYNOPSIS\n.B mount.cairn\n\\fIDATASTORE\\fR \\fIMOUNTPOINT\\fR [\\fB\\-sfnv\\fR] [\\fB\\-o\\fR \\fIOPTIONS\\fR]\n"
         ".SH DESCRIPTION\nThe helper \\fBmount\\fR(8) runs for filesystems of type \\fBcairn\\fR. It runs\n"
         "\\fBcairn mount\\fR \\fIDATASTORE\\fR \\fIMOUNTPOINT\\fR \\fB\\-o\\fR \\fIOPTIONS\\fR, which returns once the\n"
         "mount is ready. An /etc/fstab line:\n.PP\n.nf\n"
         "/srv/backups  /mnt/backups  cairn  ro,allow_other,keyfile=/etc/cairn/key.json  0 0\n.fi\n.PP\n"
         "Options for \\fBmount\\fR(8) and systemd only (defaults, noauto, nofail, _netdev, user, x\\-*, and the\n"
         "generic nodev, nosuid, noexec and atime flags) are dropped; \\fBrw\\fR is refused. The rest are the\n"
         "\\fB\\-o\\fR options of \\fBcairn\\-mount\\fR(1): cache_size, readahead, keyfile, namespace, allow_other, threads.\n"
         "\\fB\\-f\\fR (fake) does nothing, \\fB\\-v\\fR is \\fB\\-\\-verbose\\fR.\n"
         ".SH SEE ALSO\n\\fBcairn\\-mount\\fR(1), \\fBfstab\\fR(5), \\fBmount\\fR(8)\n";
}

}  // namespace

void WriteManPages(const CLI::App& program, const std::filesystem::path& directory) {
  std::filesystem::create_directories(directory / "man1");
  std::filesystem::create_directories(directory / "man8");
  WriteFileAtomic(directory / "man8" / "mount.cairn.8", AsBytes(MountHelperManPage()));
  std::vector<const CLI::App*> pending = {&program};
  while (!pending.empty()) {
    const CLI::App* command = pending.back();
    pending.pop_back();
    std::string page = ManPage(*command);
    WriteFileAtomic(directory / "man1" / (Join(CommandPath(*command), "-") + ".1"), AsBytes(page));
    for (const CLI::App* sub : VisibleSubcommands(*command)) pending.push_back(sub);
  }
}

std::string BashCompletion(const CLI::App& program) {
  // Per command path ("", "backup", "backup image", ...): the words that may follow it.
  std::string subcommand_paths, cases;
  std::vector<const CLI::App*> pending = {&program};
  while (!pending.empty()) {
    const CLI::App* command = pending.back();
    pending.pop_back();
    std::vector<std::string> subcommands, options;
    for (const CLI::App* sub : VisibleSubcommands(*command)) {
      subcommands.push_back(sub->get_name());
      pending.push_back(sub);
    }
    for (const CLI::Option* option : VisibleOptions(*command, false)) {
      for (const std::string& name : option->get_lnames()) options.push_back("--" + name);
    }
    std::vector<std::string> words = CommandPath(*command);
    words.erase(words.begin());
    std::string path = Join(words, " ");
    if (!path.empty()) subcommand_paths += (subcommand_paths.empty() ? "\"" : "|\"") + path + "\"";
    cases += "    \"" + path + "\") subcommands=\"" + Join(subcommands, " ") + "\" options=\"" + Join(options, " ") + "\" ;;\n";
  }
  return "# bash completion for cairn, generated by `cairn --generate-bash-completion`.\n"
         "_cairn() {\n"
         "  local cur=${COMP_WORDS[COMP_CWORD]} path=\"\" word subcommands options i\n"
         "  # The command path: the leading words that name subcommands.\n"
         "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
         "    word=${COMP_WORDS[i]}\n"
         "    case \"${path:+$path }$word\" in\n"
         "      " + subcommand_paths + ") path=\"${path:+$path }$word\" ;;\n"
         "    esac\n"
         "  done\n"
         "  case \"$path\" in\n" + cases +
         "  esac\n"
         "  if [[ $cur == -* ]]; then\n"
         "    COMPREPLY=($(compgen -W \"$options\" -- \"$cur\"))\n"
         "  elif [[ -n $subcommands ]]; then\n"
         "    COMPREPLY=($(compgen -W \"$subcommands\" -- \"$cur\"))\n"
         "  else\n"
         "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
         "  fi\n"
         "}\n"
         "complete -o filenames -F _cairn cairn\n";
}

}  // namespace cairn::cli
