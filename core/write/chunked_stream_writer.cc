#include "core/write/chunked_stream_writer.h"

#include <ctime>

#include "core/format/blob.h"
#include "core/format/dynamic_index_writer.h"
#include "core/util/error.h"

namespace cairn {

ChunkedStreamWriter::ChunkedStreamWriter(SnapshotWriter& writer, size_t average)
    : writer_(writer), chunker_(average), pipeline_(2 * ThreadPool::DefaultSize()),
      pool_(std::make_unique<ThreadPool>(ThreadPool::DefaultSize())) {}

ChunkedStreamWriter::~ChunkedStreamWriter() {
  pool_.reset();  // runs what is queued; the pipeline still exists
}

void ChunkedStreamWriter::Write(ByteView data) {
  while (!data.empty()) {
    size_t n = chunker_.Scan(data);
    size_t take = n == 0 ? data.size() : n;
    current_.insert(current_.end(), data.begin(), data.begin() + static_cast<ptrdiff_t>(take));
    size_ += take;
    data = data.subspan(take);
    if (n != 0) Cut();
  }
}

void ChunkedStreamWriter::SuggestBoundary() {
  if (current_.size() < chunker_.min_size()) return;
  chunker_.Reset();
  Cut();
}

void ChunkedStreamWriter::Cut() {
  if (current_.empty()) return;
  auto chunk = std::make_shared<Bytes>(std::move(current_));
  current_ = Bytes();
  current_.reserve(chunk->size());
  chunks_.emplace_back(size_, Digest{});
  Digest* digest = &chunks_.back().second;  // deque: stays valid while more are appended
  pipeline_.Acquire();
  pool_->Submit([this, chunk, digest] {
    std::exception_ptr failure;
    try {
      *digest = ChunkDigestOf(*chunk, writer_.crypt());
      writer_.chunks().Insert(*digest, *chunk);
    } catch (...) {
      failure = std::current_exception();
    }
    pipeline_.Release(failure);
  });
}

void ChunkedStreamWriter::Finish(const std::string& index_name) {
  Cut();
  pipeline_.WaitAll();
  if (chunks_.empty()) throw Error(ErrorKind::kInvalidInput, index_name + ": an empty stream cannot be stored");
  DynamicIndexWriter index;
  for (const auto& [end, digest] : chunks_) index.Add(end, digest);
  IndexUuid uuid;
  RandomBytes(uuid);
  writer_.AddIndex(index_name, index.Finish(uuid, std::time(nullptr)), index.size(), index.csum());
}

}  // namespace cairn
