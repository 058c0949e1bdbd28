#include "core/pxar/following_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/pxar/accessor.h"
#include "core/pxar/encoder.h"
#include "core/util/error.h"
#include "tests/pxar/memory_source.h"

namespace cairn::pxar {
namespace {

Metadata Meta(uint64_t mode) {
  Metadata m;
  m.stat.mode = mode;
  m.stat.mtime_secs = 1700000000;
  return m;
}

// /a (10 bytes), /b (empty), /c (5000 bytes), /d/e (3 bytes), /d/h (hardlink to a),
// /d/l (symlink), /f (100 bytes); unified, or split with `payload`.
Bytes Archive(Bytes* payload = nullptr) {
  Bytes out;
  Encoder::Sink payload_sink;
  if (payload) payload_sink = [payload](ByteView b) { payload->insert(payload->end(), b.begin(), b.end()); };
  Encoder enc([&](ByteView b) { out.insert(out.end(), b.begin(), b.end()); }, Meta(S_IFDIR | 0755), payload_sink);
  auto file = [&](std::string_view name, size_t size) {
    uint64_t offset = enc.BeginFile(name, Meta(S_IFREG | 0644), size);
    enc.WriteFileData(Bytes(size, static_cast<uint8_t>(name[0])));
    enc.EndFile();
    return offset;
  };
  uint64_t a = file("a", 10);
  file("b", 0);
  file("c", 5000);
  enc.BeginDirectory("d", Meta(S_IFDIR | 0755));
  file("e", 3);
  enc.AddHardlink("h", "a", a);
  enc.AddSymlink("l", Meta(S_IFLNK | 0777), "e");
  enc.EndDirectory();
  file("f", 100);
  enc.Finish();
  return out;
}

constexpr FollowingLimits kAll{.max_files = 100, .max_bytes = 1 << 20, .max_file_size = 1 << 20};

// "path:size" of each file, with its entry checked against the accessor's.
std::vector<std::string> Describe(const Accessor& accessor, const std::vector<FollowingFile>& files) {
  std::vector<std::string> out;
  for (const FollowingFile& f : files) {
    std::string path;
    for (const char* candidate : {"a", "c", "d/e", "f"}) {
      std::optional<Entry> e = accessor.LookupPath(candidate);
      if (e && e->entry_start == f.entry_start) {
        path = candidate;
        EXPECT_EQ(e->file_size, f.size) << candidate;
      }
    }
    out.push_back(path + ":" + std::to_string(f.size));
  }
  return out;
}

using Names = std::vector<std::string>;

TEST(PxarFollowingFiles, FollowArchiveOrderThroughDirectories) {
  test::MemorySource source(Archive());
  Accessor accessor(source, nullptr, "t.pxar");
  const uint64_t a = accessor.LookupPath("a")->entry_start;
  // Neither the empty file, the hardlink nor the symlink: only contents to push.
  EXPECT_EQ(Describe(accessor, FollowingFiles(source, "t.pxar", a, kAll)), (Names{"c:5000", "d/e:3", "f:100"}));
  const uint64_t e = accessor.LookupPath("d/e")->entry_start;
  EXPECT_EQ(Describe(accessor, FollowingFiles(source, "t.pxar", e, kAll)), (Names{"f:100"}));
  const uint64_t f = accessor.LookupPath("f")->entry_start;
  EXPECT_TRUE(FollowingFiles(source, "t.pxar", f, kAll).empty());
}

TEST(PxarFollowingFiles, StopAtTheLimits) {
  test::MemorySource source(Archive());
  Accessor accessor(source, nullptr, "t.pxar");
  const uint64_t a = accessor.LookupPath("a")->entry_start;
  FollowingLimits limits = kAll;
  limits.max_file_size = 4999;
  EXPECT_EQ(Describe(accessor, FollowingFiles(source, "t.pxar", a, limits)), (Names{"d/e:3", "f:100"}));
  limits = kAll;
  limits.max_files = 2;
  EXPECT_EQ(Describe(accessor, FollowingFiles(source, "t.pxar", a, limits)), (Names{"c:5000", "d/e:3"}));
  limits = kAll;
  limits.max_bytes = 5000;
  EXPECT_EQ(Describe(accessor, FollowingFiles(source, "t.pxar", a, limits)), (Names{"c:5000"}));
}

TEST(PxarFollowingFiles, SplitArchivesGiveTheSizesOfTheirPayloadReferences) {
  Bytes payload;
  Bytes meta = Archive(&payload);
  test::MemorySource meta_source(meta), payload_source(payload);
  Accessor accessor(meta_source, &payload_source, "t.mpxar");
  const uint64_t a = accessor.LookupPath("a")->entry_start;
  EXPECT_EQ(Describe(accessor, FollowingFiles(meta_source, "t.mpxar", a, kAll)), (Names{"c:5000", "d/e:3", "f:100"}));
}

TEST(PxarFollowingFiles, RefuseAnOffsetThatIsNoEntry) {
  test::MemorySource source(Archive());
  Accessor accessor(source, nullptr, "t.pxar");
  const uint64_t a = accessor.LookupPath("a")->entry_start;
  EXPECT_THROW(FollowingFiles(source, "t.pxar", a + 1, kAll), Error);
  try {
    FollowingFiles(source, "t.pxar", a - 1, kAll);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
    EXPECT_NE(std::string(e.what()).find("t.pxar"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cairn::pxar
