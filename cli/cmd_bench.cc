// cairn bench read|decode: measurements of the read path (see bench/run-read-benchmarks and
// BENCHMARKS.md). Not tests: the numbers depend on the machine.
#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "core/format/blob.h"
#include "core/read/archive_reader.h"
#include "core/store/snapshot_reader.h"

namespace cairn::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchTarget {
  std::string datastore;
  std::string snapshot;
  std::string file;
  KeyOptions key;
  bool json = false;
};

struct BenchReadOptions {
  BenchTarget target;
  size_t readahead = kDefaultReadahead;
  std::string cache_size = "256M";
  double latency_ms = 0;
  size_t random_4k = 0;
  std::string block_size = "1M";
  uint64_t seed = 1;
  size_t decode_threads = 0;
};

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

uint64_t PeakRssBytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<uint64_t>(usage.ru_maxrss) * 1024;
}

// p50, p99 and max of per-read latencies, in milliseconds.
nlohmann::json Percentiles(std::vector<double> ms) {
  if (ms.empty()) return nullptr;
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(q * static_cast<double>(ms.size())))];
  };
  return {{"p50_ms", at(0.50)}, {"p99_ms", at(0.99)}, {"max_ms", ms.back()}};
}

// Everything a bench run opens, in the order it must be destroyed: the cache after the
// reader, the key after the cache (fetches may still be finishing).
struct OpenArchive {
  Datastore datastore;
  std::unique_ptr<CryptConfig> crypt;
  std::unique_ptr<SnapshotReader> snapshot;
  std::string name;

  explicit OpenArchive(const BenchTarget& t) : datastore(OpenDatastore(t.datastore)), crypt(LoadKey(t.key)) {
    snapshot = std::make_unique<SnapshotReader>(
        datastore, datastore.ResolveSnapshot(ParseDatastorePath(t.snapshot)), crypt.get());
    name = snapshot->ResolveFileName(t.file);
  }
};

void PrintResult(const nlohmann::json& result, bool json) {
  if (json) {
    std::cout << result.dump(2) << "\n";
    return;
  }
  for (const auto& [key, value] : result.items()) std::cout << key << ": " << value.dump() << "\n";
}

nlohmann::json SequentialRead(IndexReader& reader, size_t block) {
  Bytes buffer(block);
  std::vector<double> latencies;
  uint64_t offset = 0;
  Clock::time_point start = Clock::now();
  while (offset < reader.size()) {
    Clock::time_point t0 = Clock::now();
    size_t n = reader.Read(offset, buffer);
    latencies.push_back(Seconds(Clock::now() - t0) * 1e3);
    offset += n;
  }
  double seconds = Seconds(Clock::now() - start);
  return {{"mode", "sequential"},
          {"bytes", offset},
          {"seconds", seconds},
          {"mib_per_s", static_cast<double>(offset) / seconds / (1 << 20)},
          {"read_latency", Percentiles(std::move(latencies))}};
}

// COUNT random 4 KiB reads, twice over the same offsets: the first pass finds the cache
// cold, the second finds whatever of it the budget kept. Reads are classed by what served
// them: a zero chunk (no I/O), the cache, or a fetch and decode (a cache miss).
nlohmann::json RandomReads(IndexReader& reader, ChunkCache& cache, size_t count, uint64_t seed) {
  constexpr size_t kBlock = 4096;
  std::mt19937_64 rng(seed);
  const uint64_t blocks = std::max<uint64_t>(1, reader.size() / kBlock);
  std::vector<uint64_t> offsets(count);
  for (uint64_t& o : offsets) o = rng() % blocks * kBlock;
  Bytes buffer(kBlock);
  nlohmann::json passes = nlohmann::json::array();
  for (const char* pass : {"first", "second"}) {
    std::vector<double> zero, hit, miss;
    Clock::time_point start = Clock::now();
    for (uint64_t offset : offsets) {
      const uint64_t misses = cache.stats().misses;
      Clock::time_point t0 = Clock::now();
      reader.Read(offset, buffer);
      const double ms = Seconds(Clock::now() - t0) * 1e3;
      if (reader.IsZeroChunk(reader.ChunkIndexAt(offset)))
        zero.push_back(ms);
      else
        (cache.stats().misses > misses ? miss : hit).push_back(ms);
    }
    passes.push_back({{"pass", pass},
                      {"reads", count},
                      {"seconds", Seconds(Clock::now() - start)},
                      {"zero_reads", zero.size()},
                      {"cached_reads", hit.size()},
                      {"uncached_reads", miss.size()},
                      {"zero_latency", Percentiles(std::move(zero))},
                      {"cached_latency", Percentiles(std::move(hit))},
                      {"uncached_latency", Percentiles(std::move(miss))}});
  }
  return {{"mode", "random-4k"}, {"passes", passes}};
}

void RunBenchRead(const BenchReadOptions& o) {
  OpenArchive archive(o.target);
  const size_t block = static_cast<size_t>(ParseByteSize(o.block_size));
  if (block == 0) throw Error(ErrorKind::kInvalidInput, "--block-size must be positive");
  std::shared_ptr<const ChunkStore> store = archive.datastore.chunk_store();
  if (o.latency_ms > 0) {
    store = std::make_shared<DelayedChunkStore>(
        store, std::chrono::microseconds(static_cast<int64_t>(o.latency_ms * 1000)));
  }
  ChunkCache cache({.budget = ParseByteSize(o.cache_size), .decode_threads = o.decode_threads});
  std::unique_ptr<IndexReader> reader =
      OpenArchiveReader(*archive.snapshot, archive.name, cache, ReadOptions{o.readahead}, store);

  nlohmann::json result =
      o.random_4k > 0 ? RandomReads(*reader, cache, o.random_4k, o.seed) : SequentialRead(*reader, block);
  result["archive"] = reader->description();
  result["image_bytes"] = reader->size();
  result["readahead"] = o.readahead;
  result["cache_size"] = cache.budget();
  result["latency_ms"] = o.latency_ms;
  result["block_size"] = block;
  result["decode_threads"] = cache.decode_threads();
  result["cache"] = CacheStatsJson(cache.stats());
  reader.reset();
  result["peak_rss_bytes"] = PeakRssBytes();
  struct mallinfo2 m = mallinfo2();
  result["malloc"] = {{"heap", m.arena}, {"mmapped", m.hblkhd}, {"heap_free", m.fordblks}};
  PrintResult(result, o.target.json);
}

// Single-thread fetch and decode of every chunk the index references, in order, zero
// chunks included, no cache: the rate one core can turn stored chunks into image bytes.
template <typename Index>
nlohmann::json DecodeAll(const Index& index, const ChunkStore& store, const CryptConfig* crypt) {
  Clock::duration fetching{}, decoding{};
  uint64_t bytes = 0, zero_chunks = 0, encoded_bytes = 0;
  for (size_t i = 0; i < index.chunk_count(); ++i) {
    const Digest& digest = index.digest(i);
    Clock::time_point t0 = Clock::now();
    AlignedBytes encoded = store.Fetch(digest);
    Clock::time_point t1 = Clock::now();
    AlignedBytes plain = DecodeChunk(encoded, digest, index.chunk_length(i), crypt);
    decoding += Clock::now() - t1;
    fetching += t1 - t0;
    bytes += plain.size();
    encoded_bytes += encoded.size();
    if (std::all_of(plain.begin(), plain.end(), [](uint8_t b) { return b == 0; })) ++zero_chunks;
  }
  const double total = Seconds(fetching + decoding);
  return {{"mode", "decode"},
          {"image_bytes", bytes},
          {"encoded_bytes", encoded_bytes},
          {"chunks", index.chunk_count()},
          {"zero_chunks", zero_chunks},
          {"seconds", total},
          {"fetch_seconds", Seconds(fetching)},
          {"decode_seconds", Seconds(decoding)},
          {"mib_per_s", static_cast<double>(bytes) / total / (1 << 20)},
          {"decode_only_mib_per_s", static_cast<double>(bytes) / Seconds(decoding) / (1 << 20)}};
}

void RunBenchDecode(const BenchTarget& o) {
  OpenArchive archive(o);
  const SnapshotReader& snapshot = *archive.snapshot;
  const ChunkSource source = ArchiveChunkSource(snapshot, archive.name);
  nlohmann::json result;
  switch (*ArchiveKindOf(archive.name)) {
    case ArchiveKind::kFixedIndex:
      result = DecodeAll(snapshot.OpenFixedIndex(archive.name), *source.store, source.crypt);
      break;
    case ArchiveKind::kDynamicIndex:
      result = DecodeAll(snapshot.OpenDynamicIndex(archive.name), *source.store, source.crypt);
      break;
    case ArchiveKind::kBlob:
      throw Error(ErrorKind::kInvalidInput,
                  snapshot.Describe(archive.name) + " is a blob, not a chunked archive");
  }
  result["archive"] = snapshot.Describe(archive.name);
  result["peak_rss_bytes"] = PeakRssBytes();
  PrintResult(result, o.json);
}

void AddTargetOptions(CLI::App* cmd, BenchTarget& t) {
  cmd->add_option("DATASTORE", t.datastore, "datastore directory or PBS datastore name")->required();
  cmd->add_option("SNAPSHOT", t.snapshot, "[ns/NS/...]TYPE/ID/TIME (or TYPE/ID/latest)")->required();
  cmd->add_option("FILE", t.file, "image (.fidx) or archive (.didx), with or without the extension")
      ->required();
  cmd->add_flag("--json", t.json, "print the result as JSON");
  AddKeyOptions(cmd, t.key);
}

}  // namespace

void RegisterBenchCommand(CLI::App& app, CommandContext&) {
  CLI::App* bench = app.add_subcommand("bench", "Measure the read path (throughput, latency, memory)");
  bench->require_subcommand(1);
  bench->footer(kExitCodeHelp);

  auto r = std::make_shared<BenchReadOptions>();
  CLI::App* read =
      bench->add_subcommand("read", "Read a whole image (or random 4 KiB blocks) through the chunk cache");
  AddTargetOptions(read, r->target);
  read->add_option("--readahead", r->readahead,
                   "chunks fetched ahead of a sequential reader (default 16, 0: none)");
  read->add_option("--cache-size", r->cache_size, "chunk cache budget in bytes, e.g. 256M (default)");
  read->add_option("--latency-ms", r->latency_ms, "delay injected into every chunk fetch, in milliseconds");
  read->add_option("--random-4k", r->random_4k,
                   "read COUNT random 4 KiB blocks (twice: cold, then warm) instead");
  read->add_option("--block-size", r->block_size, "bytes per sequential read (default 1M)");
  read->add_option("--seed", r->seed, "seed of the random offsets (default 1)");
  read->add_option("--decode-threads", r->decode_threads, "decode workers (default: one per core)");
  read->callback([r] { RunBenchRead(*r); });

  auto d = std::make_shared<BenchTarget>();
  CLI::App* decode =
      bench->add_subcommand("decode", "Single-thread fetch+decode of every chunk in order, no cache");
  AddTargetOptions(decode, *d);
  decode->callback([d] { RunBenchDecode(*d); });
}

}  // namespace cairn::cli
