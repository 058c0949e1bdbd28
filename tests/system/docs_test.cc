// Manual pages and bash completion are generated from the option definitions; these tests
// hold them to --help. Log lines carry syslog priorities when stderr is the journal.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <cctype>
#include <set>

#include "tests/fs/mount_fixture.h"
#include "tests/nbd/nbd_fixture.h"

namespace cairn::test {
namespace {

const std::filesystem::path kManDir = std::filesystem::path(CAIRN_BUILD_DIR) / "man";

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// Every "--name" that starts a word of `text` (after a space, comma or bracket).
std::set<std::string> LongOptions(const std::string& text) {
  std::set<std::string> options;
  for (size_t at = text.find("--"); at != std::string::npos; at = text.find("--", at + 2)) {
    if (at > 0 && !std::isspace(static_cast<unsigned char>(text[at - 1])) && text[at - 1] != ',' && text[at - 1] != '[') {
      continue;
    }
    size_t end = at + 2;
    if (end >= text.size() || !std::islower(static_cast<unsigned char>(text[end]))) continue;
    while (end < text.size() && (std::islower(static_cast<unsigned char>(text[end])) ||
                                 std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '-')) {
      ++end;
    }
    options.insert(text.substr(at, end - at));
  }
  return options;
}

TEST(ManPages, EveryCommandHasAPageDocumentingEachOptionOfItsHelp) {
  // One page per command: cairn-backup-image.1 is `cairn backup image` (no command name
  // has a '-' of its own).
  std::vector<std::vector<std::string>> commands;
  for (const auto& entry : std::filesystem::directory_iterator(kManDir / "man1")) {
    std::string name = entry.path().stem().string();
    std::vector<std::string> words;
    for (size_t start = name.find('-'); start != std::string::npos;) {
      size_t end = name.find('-', start + 1);
      words.push_back(name.substr(start + 1, end == std::string::npos ? std::string::npos : end - start - 1));
      start = end;
    }
    commands.push_back(words);
  }
  EXPECT_GE(commands.size(), 15u);
  for (const std::vector<std::string>& command : commands) {
    std::string page_name = "cairn";
    for (const std::string& word : command) page_name += "-" + word;
    std::vector<std::string> args = command;
    args.push_back("--help");
    CommandResult help = RunCairn(args);
    ASSERT_EQ(help.exit_code, 0) << page_name;
    ShellResult page = Sh("MANWIDTH=200 man -l " + (kManDir / "man1" / (page_name + ".1")).string() + " 2>&1");
    ASSERT_EQ(page.exit_code, 0) << page_name << ": " << page.output;
    // Options mentioned in footers (e.g. `fusermount3 -u`) aside, every option of --help is
    // on the page.
    for (const std::string& option : LongOptions(help.out)) {
      EXPECT_NE(page.output.find(option), std::string::npos) << page_name << " lacks " << option;
    }
  }
  ShellResult helper = Sh("man -l " + (kManDir / "man8" / "mount.cairn.8").string() + " 2>&1");
  EXPECT_NE(helper.output.find("/srv/backups  /mnt/backups  cairn  ro,allow_other"), std::string::npos) << helper.output;
}

TEST(BashCompletion, CompletesCommandsAndTheirOptions) {
  std::string script = (std::filesystem::path(CAIRN_BUILD_DIR) / "cairn.bash-completion").string();
  auto complete = [&](const std::string& words) {
    return Sh("bash -c 'source " + script + "; COMP_WORDS=(" + words + "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _cairn; "
              "echo \"${COMPREPLY[*]}\"'")
        .output;
  };
  EXPECT_EQ(complete("cairn mo"), "mount\n");
  EXPECT_EQ(complete("cairn backup i"), "image\n");
  EXPECT_EQ(complete("cairn mount --ca"), "--cache-size\n");
  EXPECT_EQ(complete("cairn --verbose backup image --backup-t"), "--backup-time\n");
}

TEST(Logging, LinesCarrySyslogPrioritiesWhenStderrIsTheJournal) {
  TempDir tmp;
  std::string err = (tmp / "stderr").string();
  // What systemd sets: JOURNAL_STREAM names the device and inode of the stream on stderr.
  ShellResult r = Sh("exec 2>" + err + "; JOURNAL_STREAM=$(stat -c '%d:%i' " + err + ") " CAIRN_BINARY " ls " +
                     (tmp / "nowhere").string() + "; echo \"exit=$?\"");
  EXPECT_EQ(r.output, "exit=3\n");
  std::string line = ReadText(err);
  EXPECT_EQ(line.rfind("<3>", 0), 0u) << line;
  EXPECT_NE(line.find((tmp / "nowhere").string()), std::string::npos) << line;
  // Not the journal: the human format.
  CommandResult human = RunCairn({"ls", (tmp / "nowhere").string()});
  EXPECT_EQ(human.err.rfind("cairn: error: ", 0), 0u) << human.err;
}

}  // namespace
}  // namespace cairn::test
