#include "tests/partition/disk_images.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/nbd/nbd_fixture.h"
#include "tests/test_support.h"

namespace cairn::test {
namespace {

std::string Quote(const std::string& s) {
  return "'" + s + "'";
}

void Run(const std::string& command) {
  ShellResult r = Sh(command);
  ASSERT_EQ(r.exit_code, 0) << command << "\n" << r.output;
}

}  // namespace

std::vector<SfdiskPartition> Sfdisk(const std::filesystem::path& image, uint64_t size,
                                    const std::string& script) {
  std::filesystem::remove(image);
  { std::ofstream(image).flush(); }
  std::filesystem::resize_file(image, size);
  std::filesystem::path script_file = image.string() + ".sfdisk";
  WriteFileBytes(script_file, AsBytes(script));
  ShellResult made =
      Sh("sfdisk -q --no-reread --no-tell-kernel " + Quote(image) + " < " + Quote(script_file));
  std::filesystem::remove(script_file);
  if (made.exit_code != 0) {
    ADD_FAILURE() << "sfdisk failed:\n" << made.output;
    return {};
  }
  ShellResult listed = Sh("sfdisk --json " + Quote(image) + " 2>/dev/null");
  if (listed.exit_code != 0) {
    ADD_FAILURE() << "sfdisk --json failed:\n" << listed.output;
    return {};
  }
  nlohmann::json table = nlohmann::json::parse(listed.output)["partitiontable"];
  uint64_t sector = table.value("sectorsize", 512);
  std::vector<SfdiskPartition> out;
  for (const nlohmann::json& p : table["partitions"]) {
    std::string node = p["node"];
    size_t digits = node.find_last_not_of("0123456789") + 1;
    out.push_back({static_cast<uint32_t>(std::stoul(node.substr(digits))),
                   p["start"].get<uint64_t>() * sector, p["size"].get<uint64_t>() * sector, p["type"],
                   p.value("name", "")});
  }
  return out;
}

Bytes MakeExt4(const std::filesystem::path& path, uint64_t size, const std::filesystem::path& source,
               const std::string& extra) {
  std::filesystem::remove(path);
  Run("mkfs.ext4 -q -F -E root_owner=0:0 " + extra + " -d " + Quote(source) + " " + Quote(path) + " " +
      std::to_string(size / 1024) + "k");
  return ReadFileBytes(path);
}

Bytes MakeVfat(const std::filesystem::path& path, uint64_t size,
               const std::vector<std::pair<std::string, std::string>>& files) {
  std::filesystem::remove(path);
  Run("mkfs.vfat -C " + Quote(path) + " " + std::to_string(size / 1024) + " >/dev/null");
  for (const auto& [name, content] : files) {
    std::filesystem::path local = path.string() + ".in";
    WriteFileBytes(local, AsBytes(content));
    Run("MTOOLS_SKIP_CHECK=1 mcopy -i " + Quote(path) + " " + Quote(local) + " ::" + Quote(name));
    std::filesystem::remove(local);
  }
  return ReadFileBytes(path);
}

Bytes MakeSwap(const std::filesystem::path& path, uint64_t size) {
  std::filesystem::remove(path);
  { std::ofstream(path).flush(); }
  std::filesystem::resize_file(path, size);
  Run("mkswap " + Quote(path) + " >/dev/null");
  return ReadFileBytes(path);
}

void WriteAt(const std::filesystem::path& image, uint64_t offset, ByteView data) {
  int fd = ::open(image.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0) << image;
  ASSERT_EQ(::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset)),
            static_cast<ssize_t>(data.size()));
  ::close(fd);
}

Bytes ReadRange(const std::filesystem::path& file, uint64_t offset, uint64_t length) {
  Bytes out(length);
  int fd = ::open(file.c_str(), O_RDONLY);
  EXPECT_GE(fd, 0) << file;
  if (fd < 0) return {};
  ssize_t n = ::pread(fd, out.data(), length, static_cast<off_t>(offset));
  ::close(fd);
  EXPECT_EQ(n, static_cast<ssize_t>(length));
  return out;
}

}  // namespace cairn::test
